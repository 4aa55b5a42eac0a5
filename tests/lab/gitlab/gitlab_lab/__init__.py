"""Lab GitLab: the part of GitLab's REST API v4 and OAuth 2 provider that the collection uses.

Test stand-in only (standard library, Python >= 3.11). See README.md in the directory above.

- ``tokens``: the lab's fixed tokens (the one place that defines them);
- ``profiles``: the releases the lab can be, as data, behind one ``Profile`` object;
- ``state``: what one instance holds;
- ``resources``: one module per API resource, on one route table (``routes``);
- ``front``: the HTTP front, the fault and latency layer, and the ``/__lab__/`` control API.
"""
