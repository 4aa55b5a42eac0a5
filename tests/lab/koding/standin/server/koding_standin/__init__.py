"""Koding lab stand-in: the public HTTP surface of a Koding backend (nginx + webserver + kontrol).

checkout (the files of the checkout it follows), rules (Koding's rules and fixed answers), stores (one Store
interface, kept in memory or in PostgreSQL), routes (the route table) and resources (the answers), handlers (the
request handlers and the server), main (the command line of server/koding_lab.py).
"""
