-- wrk script for bench/load.sh: GET /search over 20 short health queries in turn,
-- and a machine-readable RESULT line at the end.
local queries = {
  "warfarin", "diabetes", "high+blood+pressure", "asthma", "vitamin+k2",
  "glaucoma", "migraine", "side+effects", "dosage", "pregnancy",
  "anemia", "kidney+stones", "hepatitis+b", "osteoporosis", "insomnia",
  "psoriasis", "lupus", "statins", "breast+cancer", "flu+symptoms",
}
local i = 0
-- MODE=lexical (or hybrid) in the environment adds &mode=... to every request.
local mode = os.getenv("MODE")
local suffix = (mode and mode ~= "") and ("&mode=" .. mode) or ""

request = function()
  i = i + 1
  return wrk.format("GET", "/search?q=" .. queries[(i % #queries) + 1] .. "&limit=10" .. suffix)
end

done = function(summary, latency, requests)
  local e = summary.errors
  local failed = e.connect + e.read + e.write + e.status + e.timeout
  io.write(string.format("RESULT %d %.1f %.2f %.2f %.2f %d\n",
    summary.requests,
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000,
    latency:percentile(99) / 1000,
    latency.max / 1000,
    failed))
end
