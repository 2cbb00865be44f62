-- wrk script for samples/server/bench/load.sh: POSTs one body file, as JSON or, given the file
-- holding the JSON header's length, as Triton binary data.
function init(args)
  local f = assert(io.open(args[1], "rb"))
  wrk.body = f:read("*all")
  f:close()
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  if args[2] then
    local h = assert(io.open(args[2], "r"))
    wrk.headers["Inference-Header-Content-Length"] = h:read("*all")
    wrk.headers["Content-Type"] = "application/octet-stream"
    h:close()
  end
end
