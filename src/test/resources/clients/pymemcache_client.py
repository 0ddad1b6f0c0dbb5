"""Drives one memcached server (or kvproxy) with Debian's pymemcache and prints what it saw, as JSON.

Usage: /usr/bin/python3 pymemcache_client.py PORT PREFIX
ExternalClientsIT runs it against a lone memcached and against kvproxy and holds both to the same
expectations; this script only observes, it judges nothing.
"""
import json
import sys
import time

from pymemcache.client.base import Client
from pymemcache.exceptions import MemcacheServerError


def main():
    port = int(sys.argv[1])
    prefix = sys.argv[2]
    client = Client(("127.0.0.1", port), connect_timeout=5, timeout=5)
    seen = {}

    version = client.version().decode()
    seen["version"] = version
    seen["version_major_minor"] = ".".join(version.split(" ")[0].split(".")[:2])

    keys = ["%s:k%d" % (prefix, i) for i in range(100)]
    for i, key in enumerate(keys):
        client.set(key, "v%d" % i, noreply=False)
    got = client.get_many(keys + ["%s:missing" % prefix])
    seen["multi_get_hits"] = len(got)
    seen["multi_get_all_right"] = all(got.get(key) == ("v%d" % i).encode() for i, key in enumerate(keys))

    value, token = client.gets(keys[0])
    seen["cas_with_stale_token"] = client.cas(keys[0], "never", int(token) + 1, noreply=False)
    seen["cas_with_token"] = client.cas(keys[0], "swapped", token, noreply=False)
    seen["cas_value_after"] = client.get(keys[0]).decode()

    for i in range(50):
        client.set("%s:quiet%d" % (prefix, i), "q%d" % i, noreply=True)
    client.delete(keys[1], noreply=True)
    client.incr("%s:missing" % prefix, 1, noreply=True)
    quiet = client.get_many(["%s:quiet%d" % (prefix, i) for i in range(50)])
    seen["noreply_sets_applied"] = len(quiet)
    seen["noreply_delete_applied"] = client.get(keys[1]) is None

    try:
        client.set("%s:big" % prefix, "x" * (2 * 1024 * 1024), noreply=False)
        seen["oversized"] = "stored"
    except MemcacheServerError as error:
        seen["oversized"] = str(error)
    seen["after_oversized"] = client.get(keys[2]).decode()

    stats = client.stats()
    seen["stats_version"] = stats[b"version"].decode() if isinstance(stats[b"version"], bytes) else stats[b"version"]
    seen["stats_numeric"] = sorted(
        name for name in ["curr_items", "total_items", "bytes", "evictions", "bytes_read", "bytes_written",
                          "limit_maxbytes", "curr_connections", "total_connections", "connection_structures",
                          "cmd_get", "cmd_set", "get_hits", "get_misses"]
        if isinstance(stats.get(name.encode()), int))
    # Through kvproxy the groups come from a sample at most a second old: the items just stored show up
    # within it. Polled, for up to 5 s; a lone memcached has them at once.
    deadline = time.monotonic() + 5
    while True:
        items = client.stats("items")
        if any(name.endswith(b":number") for name in items) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    seen["stats_items_have_numbers"] = any(name.endswith(b":number") for name in items)
    slabs = client.stats("slabs")
    seen["stats_slabs_have_total_malloced"] = b"total_malloced" in slabs
    settings = client.stats("settings")
    seen["stats_settings_maxconns"] = isinstance(settings.get(b"maxconns"), int)
    client.close()
    print(json.dumps(seen, sort_keys=True))


if __name__ == "__main__":
    main()
