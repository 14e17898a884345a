-- wrk script: each request takes the next path from the file named by the PATHS environment
-- variable (one path per line), cycling; used by bench/serve.sh for uncached search pages
-- (every query distinct) and for many different paper pages.
local paths = {}
local counter = 0

function init(args)
  for line in io.lines(os.getenv("PATHS")) do
    paths[#paths + 1] = line
  end
  -- Threads start at different places of the list.
  counter = math.random(#paths)
end

function request()
  counter = counter % #paths + 1
  return wrk.format("GET", paths[counter])
end
