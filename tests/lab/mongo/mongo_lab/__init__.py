"""The lab Mongo: MongoDB 2.4's legacy wire protocol (mockupdb) over mongomock, for upstream Koding's mongodb@1.4.14."""
