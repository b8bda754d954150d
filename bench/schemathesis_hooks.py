"""Hooks for bench/schemathesis.sh: generated long polls do not wait.

The feed's long polls (`wait`, up to 30 s) hold each request for as long as asked, as
documented; in the fuzzing and stateful phases that is most of the run's time and tests
nothing more. With `wait` kept at 0 every generated request is answered at once.
"""

import schemathesis


@schemathesis.hook
def map_query(ctx, query):
    if query and "wait" in query:
        query["wait"] = 0
    return query
