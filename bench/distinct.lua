-- wrk script for bench/serve-vs-typesense.sh: GET a search for each query of a file in
-- turn (bench/queries.py writes one), and the same machine-readable RESULT line as
-- bench/load.lua at the end:
--
--   RESULT <requests> <requests/s> <p50 ms> <p99 ms> <max ms> <failed>
--
-- where failed = connect/read/write errors + timeouts + non-2xx responses.
--
-- Environment:
--   QUERIES            file of queries, one per line (required)
--   TARGET             k2search (default): GET /search?q=...&limit=10[&mode=MODE]
--                      typesense: GET /collections/<collection>/documents/search?q=...
--                        &query_by=title,headings,text&per_page=10 with the API key header
--   MODE               k2search only: lexical or hybrid, sent as &mode=...
--   TYPESENSE_API_KEY  typesense only (required there)
--   TYPESENSE_COLLECTION  typesense only (default passages)
--
-- Each wrk thread cycles through all queries from its own offset (spread by the golden
-- ratio, so any number of threads start far apart) and never sends the same query as
-- another thread at the same time. Requests are URL-encoded and formatted once, in init.

dofile("bench/result.lua")
local requests = {}
local i = 0
local non2xx = 0
local threads = {}

-- Percent-encode everything but RFC 3986 unreserved characters (space -> %20).
local function urlencode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", c:byte()) end))
end

-- Runs in the main Lua state, once per thread: number the threads, keep them for done().
local next_id = 0
setup = function(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

init = function(args)
  local path = os.getenv("QUERIES")
  assert(path and path ~= "", "distinct.lua: set QUERIES to a file of queries")
  local target = os.getenv("TARGET") or "k2search"
  local prefix, suffix, headers
  if target == "typesense" then
    local key = os.getenv("TYPESENSE_API_KEY")
    assert(key and key ~= "", "distinct.lua: set TYPESENSE_API_KEY for TARGET=typesense")
    local collection = os.getenv("TYPESENSE_COLLECTION") or "passages"
    prefix = "/collections/" .. collection .. "/documents/search?q="
    suffix = "&query_by=title,headings,text&per_page=10"
    headers = { ["X-TYPESENSE-API-KEY"] = key }
  elseif target == "k2search" then
    local mode = os.getenv("MODE")
    prefix = "/search?q="
    suffix = "&limit=10" .. ((mode and mode ~= "") and ("&mode=" .. mode) or "")
  else
    error("distinct.lua: TARGET must be k2search or typesense, not " .. target)
  end
  for line in io.lines(path) do
    if line:match("%S") then
      table.insert(requests, wrk.format("GET", prefix .. urlencode(line) .. suffix, headers))
    end
  end
  assert(#requests > 0, "distinct.lua: no queries in " .. path)
  -- The golden-ratio offset of this thread (id 0 starts at the first query).
  i = math.floor(#requests * ((id * 0.6180339887) % 1))
end

request = function()
  i = i + 1
  return requests[(i % #requests) + 1]
end

-- Count every non-2xx status (wrk's own errors.status only counts >= 400).
response = function(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

done = function(summary, latency, requests)
  local e = summary.errors
  local failed = e.connect + e.read + e.write + e.timeout
  for _, thread in ipairs(threads) do
    failed = failed + (thread:get("non2xx") or 0)
  end
  write_result(summary, latency, failed)
  -- Mean response size (headers included), to compare what each engine sends back.
  io.write(string.format("BYTES %.0f\n", summary.bytes / math.max(summary.requests, 1)))
end
