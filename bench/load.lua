-- wrk script for bench/load.sh: GET /search over 20 short health queries in turn,
-- and a machine-readable RESULT line at the end.
local queries = {
  "warfarin", "diabetes", "high+blood+pressure", "asthma", "vitamin+k2",
  "glaucoma", "migraine", "side+effects", "dosage", "pregnancy",
  "anemia", "kidney+stones", "hepatitis+b", "osteoporosis", "insomnia",
  "psoriasis", "lupus", "statins", "breast+cancer", "flu+symptoms",
}
dofile("bench/result.lua")
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
  write_result(summary, latency, e.connect + e.read + e.write + e.status + e.timeout)
end
