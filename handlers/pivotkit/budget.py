"""One time budget per Pivot request: the numbers behind ``call.deadline`` and
``call.time_left()``.

Kazoo gives a Pivot request ``req_timeout_ms`` (the pivot node's value; Kazoo does not send
it, so the customer declares it: ``Customer.request_timeout_ms``, 5000 by default and at
most). The engine counts from the moment the handler starts:

    deadline = start + request_timeout_ms - REPLY_MARGIN_SECONDS

Everything the request does (state read, step, state write) happens before ``deadline``; the
margin covers rendering, the Function URL and the network back to Kazoo. A state call starts
only while ``STATE_CALL_WORST_SECONDS`` is left before the deadline, so the reserve for the
write is taken from what is left when the step returns, not from a fixed share: a step may
use anything up to ``deadline - STATE_CALL_WORST_SECONDS`` and still have its state saved.
With the defaults: 5.0 - 0.5 = 4.5 s for the request; a step that starts 50 ms in (a state
read) and returns by 3.3 s is saved; one that spends 3.0 s on I/O answers 200.
docs/operations.md ("The time budget") works through the numbers.
"""

from __future__ import annotations

# The longest one state-store call (a DynamoDB GetItem or conditional PutItem, with the
# store's own retries) may take: the DynamoDB store's retry budget, which its RetryPolicy
# makes a bound (no retry starts unless a whole timed-out attempt still fits). Measured
# against a DynamoDB endpoint that accepts connections and never answers (a real socket on
# 127.0.0.1, 0.2 s connect / 0.3 s read timeouts, full-jitter backoff): 12 PutItems and 12
# GetItems gave up after 0.67 to 0.98 s (docs/operations.md, "The time budget", has the
# method); a healthy in-region call takes single-digit milliseconds. The one place this
# number lives.
STATE_CALL_WORST_SECONDS = 1.2
# Kept between the engine's deadline and Kazoo's req_timeout_ms: rendering and signing the
# answer, the Function URL's own latency and the trip back to Kazoo.
REPLY_MARGIN_SECONDS = 0.5
