-- Shared by the wrk scripts (loaded with dofile from the repository root, where the
-- bench scripts run wrk): the machine-readable RESULT line that load.sh and
-- serve-vs-typesense.sh parse: requests, requests/s, p50, p99, max (ms), failed.
function write_result(summary, latency, failed)
  io.write(string.format("RESULT %d %.1f %.2f %.2f %.2f %d\n",
    summary.requests,
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000,
    latency:percentile(99) / 1000,
    latency.max / 1000,
    failed))
end
