-- ussd.lua — multi-step USSD sessions for wrk, as an operator's USSD gateway
-- sends them: one POST /ussd per screen, form fields sessionId, serviceCode,
-- phoneNumber, networkCode and text (every input so far, joined by '*').
--
--   wrk -t2 -c32 -d5s -s tests/bench/ussd.lua http://127.0.0.1:PORT/ussd -- TAG LIVE
--
-- TAG prefixes the session ids and moves the numbers (a run's sessions never meet an earlier
-- run's); LIVE is the number of sessions each wrk thread keeps open at once
-- (default 1024). Each session walks one path of the default menu
-- (etc/menu.json) from the first screen, then a new session starts:
--   complaint   "", 1, 1*c, 1*c*k, 1*c*k*d, 1*c*k*d*TEXT, ...*2 (Batal: END)
--   subscribe   "", 3, 3*k, 3*k*d, 3*k*d*2 (Batal: END)
--   information "", 5, 5*i, 5*i*98 (two pages of a text, then hangs up)
--   status      "", 2, 2*NNN (a ticket number too short: asked again, hangs up)
-- with the category, kecamatan, desa, text and page varying from session to
-- session; 4 complaints, 2 subscriptions, 2 information and 2 status checks
-- in 10 sessions. None files a complaint, subscribes or sends an SMS.
--
-- wrk runs Lua per thread, not per connection, and its hooks do not say
-- which connection a request or an answer belongs to. So each thread keeps a
-- ring of LIVE sessions and request() sends the next screen of the next
-- session in the ring: a session's next screen leaves LIVE requests of its
-- thread after the previous one, when that one has long been answered (1024
-- requests are 100-200 ms at the rates measured here, 32 connections are 16
-- a thread, the slowest answers take tens of ms). The request pattern is the
-- same against any server.
--
-- Answers: a 200 whose body starts with "CON " or "END " is a screen;
-- anything else, any other status, and kentongan's error screens ("END
-- Maaf, ...") count as errors. done() prints one line for the bench program:
--   wrk-ussd requests=N duration_us=N screens_per_s=X p50_us=N p90_us=N
--   p99_us=N max_us=N con=N end=N end_expected=N bad=N non200=N sorry=N
--   socket_errors=N sessions=N

local threads = {}

-- setup() runs in wrk's main Lua state; thread:set makes `id` a global of
-- the thread's own state, read by init() there.
function setup(thread)
    thread:set("id", #threads + 1)
    table.insert(threads, thread)
end

local texts = {
    "Jalan di depan balai desa berlubang besar sejak bulan lalu",
    "Lampu jalan dekat masjid mati sudah dua minggu",
    "Saluran air tersumbat sampah, banjir tiap hujan deras",
    "Jembatan kayu ke sawah retak dan goyang sejak kemarin",
}

local function enc(s)
    return (s:gsub("[^%w%-%._~]", function(c)
        return string.format("%%%02X", string.byte(c))
    end))
end

local tag, live, ring, pos, serial
con, fin, end_expected, bad, non200, sorry, sessions = 0, 0, 0, 0, 0, 0, 0

-- The screens (text values) of session number n of this thread, and how
-- many of them end with an END.
local function path(n)
    local kind = n % 10
    local c, k, d = n % 5 + 1, n % 12 + 1, math.floor(n / 12) % 5 + 1 -- first pages only
    if kind < 4 then
        local t = texts[n % #texts + 1]
        local p = "1*" .. c .. "*" .. k .. "*" .. d
        return { "", "1", "1*" .. c, "1*" .. c .. "*" .. k, p, p .. "*" .. t, p .. "*" .. t .. "*2" }, true
    elseif kind < 6 then
        local p = "3*" .. k .. "*" .. d
        return { "", "3", "3*" .. k, p, p .. "*2" }, true
    elseif kind < 8 then
        local i = n % 3 + 1
        return { "", "5", "5*" .. i, "5*" .. i .. "*98" }, false
    else
        return { "", "2", "2*" .. (n % 900 + 100) }, false
    end
end

-- A run's numbers are its own too (derived from TAG): a complaint a run
-- leaves unfinished is kept as its number's draft and offered to that
-- number's next session, which would send a later run's walk astray.
local function tag_offset(t)
    local h = 0
    for i = 1, #t do
        h = (h * 31 + string.byte(t, i)) % 1000003
    end
    return h * 7907
end

local function new_session()
    serial = serial + 1
    sessions = sessions + 1
    local steps, ends = path(serial)
    return {
        prefix = "sessionId=" .. tag .. "-" .. id .. "-" .. serial ..
            "&serviceCode=%2A123%23&phoneNumber=" ..
            string.format("0812%08d", (tag_offset(tag) + id * 7919 + serial * 104729) % 100000000) ..
            "&networkCode=51010&text=",
        steps = steps,
        ends = ends,
        at = 1,
    }
end

function init(args)
    tag = args[1] or "w"
    live = tonumber(args[2] or "") or 1024
    serial = 0
    ring = {}
    for i = 1, live do
        ring[i] = new_session()
    end
    pos = 0
end

local headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }

function request()
    pos = pos % live + 1
    local s = ring[pos]
    if s.at > #s.steps then
        s = new_session()
        ring[pos] = s
    end
    local text = s.steps[s.at]
    if s.at == #s.steps and s.ends then
        end_expected = end_expected + 1
    end
    s.at = s.at + 1
    return wrk.format("POST", nil, headers, s.prefix .. enc(text))
end

function response(status, hdrs, body)
    if status ~= 200 then
        non200 = non200 + 1
        return
    end
    local head = body:sub(1, 4)
    if head == "CON " then
        con = con + 1
    elseif head == "END " then
        fin = fin + 1
        if body:sub(5, 8) == "Maaf" then
            sorry = sorry + 1
        end
    else
        bad = bad + 1
    end
end

function done(summary, latency, requests)
    local t = { con = 0, fin = 0, end_expected = 0, bad = 0, non200 = 0, sorry = 0, sessions = 0 }
    for _, th in ipairs(threads) do
        for k in pairs(t) do
            t[k] = t[k] + (th:get(k) or 0)
        end
    end
    local e = summary.errors
    local secs = summary.duration / 1e6
    io.write(string.format(
        "wrk-ussd requests=%d duration_us=%d screens_per_s=%.1f p50_us=%d p90_us=%d p99_us=%d " ..
        "max_us=%d con=%d end=%d end_expected=%d bad=%d non200=%d sorry=%d socket_errors=%d " ..
        "sessions=%d\n",
        summary.requests, summary.duration, summary.requests / secs,
        latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
        t.con, t.fin, t.end_expected, t.bad, t.non200, t.sorry,
        e.connect + e.read + e.write + e.timeout, t.sessions))
end
