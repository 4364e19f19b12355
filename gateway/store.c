/* store — see store.h. The Lua below is the only code that writes the
 * message pipeline's keys, so each transition is one atomic step. */
#include "gateway/store.h"

#include <stdio.h>
#include <string.h>

/* clang-format off */
const char store_library[] =
"#!lua name=kentongan\n"
/* Counters behind GET /metrics (kt:stats) and the complaint indexes behind
 * GET /api/complaints: kt:tickets:status:STATUS and kt:tickets:opd:OPD
 * (zsets of seq) and kt:stats:complaints ("STATUS|OPD" -> count). They are
 * kept by the functions that change tickets; cidx_ensure builds them once
 * from the tickets themselves when kt:tickets:indexed is missing (a Redis
 * that has tickets from before the indexes existed). */
"local function stat(field, n) redis.call('HINCRBY', 'kt:stats', field, n or 1) end\n"
"local function cidx_add(seq, status, opd, n)\n"
"  if n > 0 then\n"
"    redis.call('ZADD', 'kt:tickets:status:' .. status, seq, seq)\n"
"    redis.call('ZADD', 'kt:tickets:opd:' .. opd, seq, seq)\n"
"  else\n"
"    redis.call('ZREM', 'kt:tickets:status:' .. status, seq)\n"
"    redis.call('ZREM', 'kt:tickets:opd:' .. opd, seq)\n"
"  end\n"
"  redis.call('HINCRBY', 'kt:stats:complaints', status .. '|' .. opd, n)\n"
"end\n"
"local function cidx_ensure()\n"
"  if redis.call('EXISTS', 'kt:tickets:indexed') == 1 then return end\n"
"  redis.call('DEL', 'kt:stats:complaints')\n"
"  local top = tonumber(redis.call('GET', 'kt:ticket:seq') or '0')\n"
"  for seq = 1, top do\n"
"    local h = redis.call('HMGET', 'kt:ticket:' .. seq, 'status', 'opd')\n"
"    if h[1] then cidx_add(seq, h[1], h[2] or '', 1) end\n"
"  end\n"
"  redis.call('SET', 'kt:tickets:indexed', '1')\n"
"end\n"
/* bc_outcome (shared): one broadcast message has an outcome; counted once
 * per message by the caller. The broadcast is done when every recipient
 * has one and nothing is left to queue. */
"local function bc_outcome(id, outcome, reason, now)\n"
"  local key = 'kt:bc:' .. id\n"
"  if redis.call('EXISTS', key) == 0 then return end\n"
"  local field = outcome\n"
"  if field ~= 'sent' and field ~= 'expired' and field ~= 'cancelled' then field = 'failed' end\n"
"  redis.call('HINCRBY', key, field, 1)\n"
"  if field == 'failed' or field == 'expired' then\n"
"    if reason == nil or reason == '' then reason = field end\n"
"    redis.call('HINCRBY', key .. ':fail', reason, 1)\n"
"  end\n"
"  local h = redis.call('HMGET', key, 'status', 'recipients', 'sent', 'failed', 'expired', 'cancelled')\n"
"  local done = 0\n"
"  for i = 3, 6 do done = done + tonumber(h[i] or '0') end\n"
"  if (h[1] == 'running' or h[1] == 'waiting') and done >= tonumber(h[2] or '0')\n"
"     and redis.call('LLEN', key .. ':todo') == 0 then\n"
"    redis.call('HSET', key, 'status', 'done', 'finished', now)\n"
"    redis.call('SREM', 'kt:bc:active', id)\n"
"  end\n"
"end\n"
/* pin_strip: the PIN-word rule of gateway/pin.c (pin_take), for a long
 * message once its parts are joined. The worker takes the PIN words out of
 * each part; one that straddles two parts only shows here, and is removed
 * without being checkable: the message goes on with pin = "split", which
 * handlers refuse. Returns the text and how many words were removed. */
"local function pin_word(c) return c ~= '' and (string.find(c, '^[A-Za-z0-9]') ~= nil or string.byte(c) >= 128) end\n"
"local function pin_space(c) return c == ' ' or c == '\\t' or c == '\\r' or c == '\\n' end\n"
"local function pin_strip(s)\n"
"  local i, found = 1, 0\n"
"  while true do\n"
"    local p = string.find(string.lower(s), 'pin', i, true)\n"
"    if not p then break end\n"
"    local d = p + 3\n"
"    while d <= #s and string.find(' \\t\\r\\n:=#.*,/;', string.sub(s, d, d), 1, true) do d = d + 1 end\n"
"    local e = d\n"
"    while e <= #s and string.find(string.sub(s, e, e), '^[0-9]') do e = e + 1 end\n"
"    if (p == 1 or not pin_word(string.sub(s, p - 1, p - 1))) and e > d and e - d <= " STORE_PIN_DIGITS_MAX "\n"
"       and not pin_word(string.sub(s, e, e)) then\n"
"      local a, b = p, e\n"
"      while a > 1 and pin_space(string.sub(s, a - 1, a - 1)) do a = a - 1 end\n"
"      if a == p then while b <= #s and pin_space(string.sub(s, b, b)) do b = b + 1 end end\n"
"      s = string.sub(s, 1, a - 1) .. string.sub(s, b)\n"
"      i = a; found = found + 1\n"
"      while i > 1 and string.find(' \\t\\r\\n:=#.*,/;', string.sub(s, i - 1, i - 1), 1, true) do i = i - 1 end\n"
"      i = math.max(1, i - 3)\n"
"    else\n"
"      i = p + 1\n"
"    end\n"
"  end\n"
"  return s, found\n"
"end\n"
/* The pin field of a joined message: the digest the worker took from the
 * first part that had one, or "split" when a PIN word only showed once the
 * parts were joined. */
"local function pin_join(text, pins)\n"
"  local joined, n = pin_strip(text)\n"
"  if n > 0 then return joined, 'split' end\n"
"  for _, p in ipairs(pins) do if p ~= '' then return joined, p end end\n"
"  return joined, ''\n"
"end\n"
/* kt_ingest: KEYS seen, in, parthash, partzset
 * ARGV ttl, partno, total, now_ms, modem, from, coding, smsc_time, text, data, udh,
 * pin (the digest of a PIN word the worker took out of text, or "") */
"redis.register_function('kt_ingest', function(k, a)\n"
"  if not redis.call('SET', k[1], '1', 'NX', 'EX', a[1]) then\n"
"    stat('dup:' .. a[5]); return 0\n"
"  end\n"
"  local total = tonumber(a[3])\n"
"  local pin = a[12] or ''\n"
"  if total <= 1 then\n"
"    redis.call('XADD', k[2], 'MAXLEN', '~', '" STORE_IN_MAXLEN "', '*', 'modem', a[5], 'from', a[6],\n"
"      'coding', a[7], 'smsc_time', a[8], 'text', a[9], 'data', a[10], 'parts', '1',\n"
"      'incomplete', '0', 'received', a[4], 'pin', pin)\n"
"    stat('in:' .. a[5])\n"
"    return 1\n"
"  end\n"
"  redis.call('HSET', k[3], 't' .. a[2], a[9], 'd' .. a[2], a[10], 'p' .. a[2], pin)\n"
"  redis.call('HSETNX', k[3], 'modem', a[5]); redis.call('HSETNX', k[3], 'from', a[6])\n"
"  redis.call('HSETNX', k[3], 'coding', a[7]); redis.call('HSETNX', k[3], 'smsc_time', a[8])\n"
"  redis.call('HSETNX', k[3], 'total', a[3]); redis.call('HSETNX', k[3], 'received', a[4])\n"
"  redis.call('ZADD', k[4], 'NX', a[4], k[3])\n"
"  local text, data, pins = {}, {}, {}\n"
"  for i = 1, total do\n"
"    local t = redis.call('HGET', k[3], 't' .. i)\n"
"    if not t then return 2 end\n"
"    text[i] = t; data[i] = redis.call('HGET', k[3], 'd' .. i) or ''\n"
"    pins[i] = redis.call('HGET', k[3], 'p' .. i) or ''\n"
"  end\n"
"  local h = redis.call('HMGET', k[3], 'coding', 'smsc_time', 'received')\n"
"  local joined, jpin = pin_join(table.concat(text), pins)\n"
"  redis.call('XADD', k[2], 'MAXLEN', '~', '" STORE_IN_MAXLEN "', '*', 'modem', a[5], 'from', a[6],\n"
"    'coding', h[1], 'smsc_time', h[2], 'text', joined, 'data', table.concat(data),\n"
"    'parts', a[3], 'incomplete', '0', 'received', h[3], 'pin', jpin)\n"
"  stat('in:' .. a[5])\n"
"  redis.call('DEL', k[3]); redis.call('ZREM', k[4], k[3])\n"
"  return 1\n"
"end)\n"
/* kt_release: KEYS partzset, in; ARGV cutoff_ms, limit. Returns groups released. */
"redis.register_function('kt_release', function(k, a)\n"
"  local old = redis.call('ZRANGEBYSCORE', k[1], '-inf', a[1], 'LIMIT', 0, tonumber(a[2]))\n"
"  for _, key in ipairs(old) do\n"
"    local h = redis.call('HGETALL', key)\n"
"    local f = {}\n"
"    for i = 1, #h, 2 do f[h[i]] = h[i + 1] end\n"
"    if f.total then\n"
"      local text, data, pins, have = {}, {}, {}, 0\n"
"      for i = 1, tonumber(f.total) do\n"
"        if f['t' .. i] then\n"
"          have = have + 1; text[#text + 1] = f['t' .. i]; data[#data + 1] = f['d' .. i] or ''\n"
"          pins[#pins + 1] = f['p' .. i] or ''\n"
"        else text[#text + 1] = ' ... ' end\n"
"      end\n"
"      local joined, jpin = pin_join(table.concat(text), pins)\n"
"      redis.call('XADD', k[2], 'MAXLEN', '~', '" STORE_IN_MAXLEN "', '*', 'modem', f.modem, 'from', f.from,\n"
"        'coding', f.coding, 'smsc_time', f.smsc_time, 'text', joined,\n"
"        'data', table.concat(data), 'parts', f.total, 'incomplete', tostring(f.total - have),\n"
"        'received', f.received, 'pin', jpin)\n"
"      stat('in:' .. f.modem)\n"
"    end\n"
"    redis.call('DEL', key); redis.call('ZREM', k[1], key)\n"
"  end\n"
"  return #old\n"
"end)\n"
/* kt_commit: KEYS in, donekey; ARGV group, id, ttl, n, now_ms, then n x (stream, to, text, expires_ms, kind) */
"redis.register_function('kt_commit', function(k, a)\n"
"  local queued = 0\n"
"  if redis.call('SET', k[2], '1', 'NX', 'EX', a[3]) then\n"
"    local i = 6\n"
"    for r = 1, tonumber(a[4]) do\n"
"      redis.call('XADD', a[i], '*', 'to', a[i + 1], 'text', a[i + 2], 'expires', a[i + 3],\n"
"        'kind', a[i + 4], 'origin', a[2], 'seq', tostring(r), 'created', a[5])\n"
"      i = i + 5; queued = queued + 1\n"
"    end\n"
"  end\n"
"  redis.call('XACK', k[1], a[1], a[2])\n"
"  return queued\n"
"end)\n"
/* kt_rate: KEYS minute counter, day counter, menu session, budget counter,
 * shed-answer counter, shed mark of the number; ARGV window_seconds,
 * day_seconds, message id, per_minute, per_day, budget (0: none), shed
 * answers per window, free (1: the answer costs no SMS, a USSD screen).
 * Returns {verdict (STORE_RATE_*), count in this minute, 1 if the sender
 * is inside an SMS menu}. The public's messages only (officials never come
 * here). A message read again (crash, retry, a resent USSD screen) gets the
 * verdict it got the first time and is counted once. */
"redis.register_function('kt_rate', function(k, a)\n"
"  local menu = redis.call('EXISTS', k[3])\n"
"  local mark = 'kt:rated:' .. a[3]\n"
"  local seen = redis.call('GET', mark)\n"
"  if seen then\n"
"    local v, c = string.match(seen, '^(%d+):(%d+)$')\n"
"    if v then return {tonumber(v), tonumber(c), menu} end\n"
"    return {0, tonumber(redis.call('GET', k[1]) or '1'), menu}\n"
"  end\n"
"  local c = redis.call('INCR', k[1])\n"
"  if c == 1 then redis.call('EXPIRE', k[1], a[1]) end\n"
"  local d = redis.call('INCR', k[2])\n"
"  if d == 1 then redis.call('EXPIRE', k[2], a[2]) end\n"
"  local pm, pd, budget = tonumber(a[4]), tonumber(a[5]), tonumber(a[6])\n"
"  local v = " STORE_RATE_OK_S "\n"
"  if c > pm then\n"
"    v = c == pm + 1 and " STORE_RATE_LIMITED_S " or " STORE_RATE_QUIET_S "\n"
"  elseif d > pd then\n"
"    v = d == pd + 1 and " STORE_RATE_DAY_S " or " STORE_RATE_DAY_QUIET_S "\n"
"  elseif budget > 0 then\n"
"    local b = redis.call('INCR', k[4])\n"
"    if b == 1 then redis.call('EXPIRE', k[4], a[1]) end\n"
"    if b > budget then\n"
"      stat('shed')\n"
"      v = " STORE_RATE_SHED_QUIET_S "\n"
"      if a[8] == '1' then\n"
"        v = " STORE_RATE_SHED_S "\n"
"      elseif redis.call('SET', k[6], '1', 'NX', 'EX', a[1]) then\n"
"        local s = redis.call('INCR', k[5])\n"
"        if s == 1 then redis.call('EXPIRE', k[5], a[1]) end\n"
"        if s <= tonumber(a[7]) then v = " STORE_RATE_SHED_S " end\n"
"      end\n"
"    end\n"
"  end\n"
"  redis.call('SET', mark, v .. ':' .. c, 'EX', 3600)\n"
"  return {v, c, menu}\n"
"end)\n"
/* kt_menu: KEYS session list, guard; ARGV op (start|push|end), input, ttl.
 * An SMS menu session: the list holds a start marker, then every reply in
 * order; each message is applied once (guard). Returns the inputs, or nil
 * when a push finds no session (it expired). */
"redis.register_function('kt_menu', function(k, a)\n"
"  if a[1] == 'end' then redis.call('DEL', k[1]); return {} end\n"
"  local first = redis.call('SET', k[2], '1', 'NX', 'EX', 3600)\n"
"  if a[1] == 'start' then\n"
"    if first then redis.call('DEL', k[1]); redis.call('RPUSH', k[1], '^') end\n"
"  elseif redis.call('EXISTS', k[1]) == 0 then\n"
"    return nil\n"
"  elseif first then\n"
"    redis.call('RPUSH', k[1], a[2])\n"
"  end\n"
"  redis.call('EXPIRE', k[1], a[3])\n"
"  return redis.call('LRANGE', k[1], 1, -1)\n"
"end)\n"
/* kt_finish: KEYS lane, sent, sendingkey; ARGV group, id, then field/value pairs for kt:sent
 * (modem, outcome and parts are also counted in kt:stats; a broadcast message,
 * origin "bc:ID", also counts towards its broadcast, once). */
"redis.register_function('kt_finish', function(k, a)\n"
"  redis.call('XADD', k[2], 'MAXLEN', '~', '" STORE_SENT_MAXLEN "', '*', unpack(a, 3))\n"
"  local f = {}\n"
"  for i = 3, #a - 1, 2 do f[a[i]] = a[i + 1] end\n"
"  if f.modem and f.outcome then\n"
"    stat('out:' .. f.modem .. ':' .. f.outcome)\n"
"    stat('parts:' .. f.modem, tonumber(f.parts) or 0)\n"
"  end\n"
"  local acked = redis.call('XACK', k[1], a[1], a[2])\n"
"  redis.call('DEL', k[3])\n"
"  if acked == 1 and f.origin and string.sub(f.origin, 1, 3) == 'bc:' then\n"
"    bc_outcome(string.sub(f.origin, 4), f.outcome, f.reason, math.floor(tonumber(f.at or '0') / 1000))\n"
"    redis.call('XDEL', k[1], a[2])\n" /* kt:sent keeps the record; the lane stays small */
"  end\n"
"  return 1\n"
"end)\n"
/* kt_quarantine: KEYS stream, seen; ARGV ttl, modem, folder, location, kind, reason, error,
 * pdu, file, from, preview, at_ms. 1 kept, 0 already kept (the same message read again: the
 * delete from the SIM failed, or the worker died before it). */
"redis.register_function('kt_quarantine', function(k, a)\n"
"  if not redis.call('SET', k[2], '1', 'NX', 'EX', a[1]) then return 0 end\n"
"  redis.call('XADD', k[1], 'MAXLEN', '~', '" STORE_QUARANTINE_MAXLEN "', '*', 'modem', a[2],\n"
"    'folder', a[3], 'location', a[4], 'kind', a[5], 'reason', a[6], 'error', a[7], 'pdu', a[8],\n"
"    'file', a[9], 'from', a[10], 'preview', a[11], 'at', a[12])\n"
"  stat('quarantine:' .. a[2] .. '|' .. a[5] .. '|' .. a[6])\n"
"  return 1\n"
"end)\n"
/* kt_quarantine_list: KEYS stream; ARGV modem ('' any), kind ('' any, 'special' every kind
 * but malformed), offset, limit. Newest first, at most STORE_QUARANTINE_MAXLEN entries looked
 * at. {length of the stream, entries matched, then the page's entries as XRANGE gives them} */
"redis.register_function('kt_quarantine_list', function(k, a)\n"
"  local out = {redis.call('XLEN', k[1]), 0}\n"
"  local offset, limit, matched, last = tonumber(a[3]), tonumber(a[4]), 0, '+'\n"
"  local seen = 0\n"
"  while seen < " STORE_QUARANTINE_MAXLEN " do\n"
"    local batch = redis.call('XREVRANGE', k[1], last, '-', 'COUNT', 200)\n"
"    if #batch == 0 then break end\n"
"    for _, e in ipairs(batch) do\n"
"      if e[1] ~= last then\n"
"        seen = seen + 1\n"
"        local f = {}\n"
"        for i = 1, #e[2], 2 do f[e[2][i]] = e[2][i + 1] end\n"
"        local kind_ok = a[2] == '' or f.kind == a[2] or (a[2] == 'special' and f.kind ~= 'malformed')\n"
"        if (a[1] == '' or f.modem == a[1]) and kind_ok then\n"
"          if matched >= offset and matched < offset + limit then out[#out + 1] = e end\n"
"          matched = matched + 1\n"
"        end\n"
"      end\n"
"    end\n"
"    if #batch < 200 then break end\n"
"    last = batch[#batch][1]\n"
"  end\n"
"  out[2] = matched\n"
"  return out\n"
"end)\n"
/* kt_report: KEYS index (kt:mr:MODEM:MR), reports stream; ARGV modem, mr,
 * recipient (normalised), tp_status, outcome (delivered|pending|undelivered,
 * see worker_report_outcome), now_ms. One delivery report, matched to the
 * part the worker sent with that reference to that recipient (the index,
 * "lane|id|origin|to|part|total", written when the network accepted the
 * part; TP-MR wraps at 256, so the recipient must match too). Recorded on
 * kt:reports; a final report of a broadcast message's last part counts once
 * towards kt:bc:ID delivered or undelivered. Returns 1 recorded, 2 a final
 * report already recorded (a duplicate), 3 pending (a temporary status: the
 * network keeps trying), 0 no matching send. */
"redis.register_function('kt_report', function(k, a)\n"
"  local v = redis.call('GET', k[1])\n"
"  local f = {}\n"
"  if v then for x in string.gmatch(v, '([^|]*)|?') do f[#f + 1] = x end end\n"
"  if not v or #f < 6 or f[4] ~= a[3] then\n"
"    redis.call('XADD', k[2], 'MAXLEN', '~', '" STORE_SENT_MAXLEN "', '*', 'modem', a[1], 'mr', a[2],\n"
"      'to', a[3], 'status', a[4], 'outcome', 'unmatched', 'at', a[6])\n"
"    stat('dlr:' .. a[1] .. ':unmatched')\n"
"    return 0\n"
"  end\n"
"  if f[7] == 'final' then stat('dlr:' .. a[1] .. ':duplicate'); return 2 end\n"
"  redis.call('XADD', k[2], 'MAXLEN', '~', '" STORE_SENT_MAXLEN "', '*', 'modem', a[1], 'mr', a[2],\n"
"    'to', a[3], 'status', a[4], 'outcome', a[5], 'lane', f[1], 'id', f[2], 'origin', f[3],\n"
"    'part', f[5], 'parts', f[6], 'at', a[6])\n"
"  stat('dlr:' .. a[1] .. ':' .. a[5])\n"
"  if a[5] == 'pending' then return 3 end\n"
"  redis.call('SET', k[1], table.concat({f[1], f[2], f[3], f[4], f[5], f[6], 'final'}, '|'), 'KEEPTTL')\n"
"  if f[5] == f[6] and string.sub(f[3], 1, 3) == 'bc:' then\n"
"    local key = 'kt:bc:' .. string.sub(f[3], 4)\n"
"    if redis.call('EXISTS', key) == 1 then redis.call('HINCRBY', key, a[5], 1) end\n"
"  end\n"
"  return 1\n"
"end)\n"
/* kt_failover: KEYS modemhash, ownlane, anylane, emergency, bulk, sent; ARGV now_ms,
 * after_ms, group, modem. When the modem has been down for after_ms, moves the
 * replies waiting on its lane that no send has started on to the lane any
 * modem serves, and hands back what it had taken from the shared lanes (any,
 * emergency, bulk): untouched messages go back on their lane for the other
 * modems; one whose send had started counts as sent (unconfirmed), never
 * sent twice. */
"redis.register_function('kt_failover', function(k, a)\n"
"  local now, after = tonumber(a[1]), tonumber(a[2])\n"
"  local h = redis.call('HMGET', k[1], 'state', 'state_since', 'alive')\n"
"  local since, alive = tonumber(h[2] or '0') or 0, tonumber(h[3] or '0') or 0\n"
"  local down = (h[1] and h[1] ~= 'up' and since > 0 and now - since >= after)\n"
"    or (alive > 0 and now - alive >= after)\n"
"  if not down then return 0 end\n"
"  local moved = 0\n"
"  for l = 3, 5 do\n"
"    if redis.call('EXISTS', k[l]) == 1 then\n"
"      for _, p in ipairs(redis.call('XPENDING', k[l], a[3], '-', '+', 200, a[4])) do\n"
"        local e = redis.call('XRANGE', k[l], p[1], p[1])\n"
"        local progress = 'kt:sending:' .. k[l] .. ':' .. p[1]\n"
"        redis.call('XACK', k[l], a[3], p[1])\n"
"        if #e > 0 then\n"
"          local fields = e[1][2]\n"
"          if redis.call('EXISTS', progress) == 0 then\n"
"            fields[#fields + 1] = 'moved_from'; fields[#fields + 1] = a[4]\n"
"            redis.call('XADD', k[l], '*', unpack(fields))\n"
"            redis.call('XDEL', k[l], p[1])\n"
"          else\n"
"            local f = {}\n"
"            for i = 1, #fields - 1, 2 do f[fields[i]] = fields[i + 1] end\n"
"            redis.call('XADD', k[6], 'MAXLEN', '~', '" STORE_SENT_MAXLEN "', '*', 'id', p[1],\n"
"              'modem', a[4], 'to', f.to or '', 'outcome', 'sent', 'parts', '0', 'mr', '',\n"
"              'cms', '0', 'reason', 'unconfirmed_failover', 'attempts', '1',\n"
"              'origin', f.origin or '', 'kind', f.kind or '', 'at', a[1],\n"
"              'expires', f.expires or '0', 'text', f.text or '')\n"
"            redis.call('DEL', progress)\n"
"            stat('out:' .. a[4] .. ':sent')\n"
"            if f.origin and string.sub(f.origin, 1, 3) == 'bc:' then\n"
"              bc_outcome(string.sub(f.origin, 4), 'sent', '', math.floor(tonumber(a[1]) / 1000))\n"
"            end\n"
"          end\n"
"          moved = moved + 1\n"
"        end\n"
"      end\n"
"    end\n"
"  end\n"
"  if redis.call('EXISTS', k[2]) == 0 then return moved end\n"
"  local last = '0-0'\n"
"  for _, g in ipairs(redis.call('XINFO', 'GROUPS', k[2])) do\n"
"    local f = {}\n"
"    for i = 1, #g, 2 do f[g[i]] = g[i + 1] end\n"
"    if f['name'] == a[3] then last = f['last-delivered-id'] end\n"
"  end\n"
"  local function move(e)\n"
"    local fields = e[2]\n"
"    fields[#fields + 1] = 'moved_from'; fields[#fields + 1] = a[4]\n"
"    redis.call('XADD', k[3], '*', unpack(fields))\n"
"    redis.call('XDEL', k[2], e[1]); moved = moved + 1\n"
"  end\n"
"  for _, e in ipairs(redis.call('XRANGE', k[2], '(' .. last, '+', 'COUNT', 200)) do move(e) end\n"
"  for _, p in ipairs(redis.call('XPENDING', k[2], a[3], '-', '+', 200)) do\n"
"    if redis.call('EXISTS', 'kt:sending:' .. k[2] .. ':' .. p[1]) == 0 then\n"
"      local e = redis.call('XRANGE', k[2], p[1], p[1])\n"
"      redis.call('XACK', k[2], a[3], p[1])\n"
"      if #e > 0 then move(e[1]) end\n"
"    end\n"
"  end\n"
"  return moved\n"
"end)\n"
/* kt_due: KEYS deadlines zset, events stream; ARGV now_ms, limit. Moves every
 * deadline that has fallen due onto kt:events, atomically: with several
 * gateways ticking, each deadline fires exactly once. The event carries the
 * instant it fired ('at'): whichever gateway handles it acts as of then. */
"redis.register_function('kt_due', function(k, a)\n"
"  local due = redis.call('ZRANGEBYSCORE', k[1], '-inf', a[1], 'WITHSCORES', 'LIMIT', 0, tonumber(a[2]))\n"
"  for i = 1, #due, 2 do\n"
"    redis.call('ZREM', k[1], due[i])\n"
"    redis.call('XADD', k[2], '*', 'type', 'deadline', 'key', due[i], 'due', due[i + 1],\n"
"      'at', a[1])\n"
"  end\n"
"  return #due / 2\n"
"end)\n"
/* kt_complaint_new: KEYS seq, byinbound, deadlines, byphone
 * ARGV now_ms, phone, text, category, opd, kecamatan, desa, status, deadline_ms,
 *      deadline_kind, channel, inbound, actor, urgent ('1' or '')
 * Creates the ticket once per inbound message; returns {seq, created(1|0)}.
 * An urgent ticket is marked (field urgent) and listed in kt:tickets:urgent
 * while open, which kt_complaints_list shows first. */
"redis.register_function('kt_complaint_new', function(k, a)\n"
"  local old = redis.call('GET', k[2])\n"
"  if old then return {tonumber(old), 0} end\n"
"  cidx_ensure()\n"
"  local seq = redis.call('INCR', k[1])\n"
"  local key = 'kt:ticket:' .. seq\n"
"  redis.call('HSET', key, 'seq', seq, 'phone', a[2], 'text', a[3], 'category', a[4],\n"
"    'opd', a[5], 'kecamatan', a[6], 'desa', a[7], 'status', a[8], 'created', a[1],\n"
"    'updated', a[1], 'deadline', a[9], 'deadline_kind', a[10], 'escalation', '0',\n"
"    'channel', a[11], 'inbound', a[12], 'last_action', 'LAPOR', 'last_actor', a[13])\n"
"  redis.call('XADD', key .. ':log', '*', 'at', a[1], 'actor', a[13], 'action', 'LAPOR',\n"
"    'from', '', 'to', a[8], 'note', '')\n"
"  redis.call('SET', k[2], seq, 'EX', 2592000)\n"
"  redis.call('ZADD', k[4], a[1], seq)\n"
"  if a[9] ~= '' then redis.call('ZADD', k[3], a[9], 'ticket:' .. seq) end\n"
"  cidx_add(seq, a[8], a[5], 1)\n"
"  if a[14] == '1' then\n"
"    redis.call('HSET', key, 'urgent', '1')\n"
"    redis.call('ZADD', 'kt:tickets:urgent', seq, seq)\n"
"  end\n"
"  return {seq, 1}\n"
"end)\n"
/* kt_ticket_read: KEYS ticket, applied. Returns {applied(0|1), field, value, ...}. */
"redis.register_function('kt_ticket_read', function(k, a)\n"
"  local out = {redis.call('EXISTS', k[2])}\n"
"  for _, v in ipairs(redis.call('HGETALL', k[1])) do out[#out + 1] = v end\n"
"  return out\n"
"end)\n"
/* kt_ticket_update: KEYS ticket, deadlines, applied
 * ARGV now_ms, expected_status, new_status, actor, action, note, deadline_ms
 *      ('' = none, '-' = keep), deadline_kind, opd ('' = keep), escalation ('' = keep),
 *      expected_opd ('' = any)
 * Compare-and-set on the status (and the OPD, so an official whose ticket
 * was just reassigned cannot act on it), once per message or event. Keeps
 * the complaint indexes; an ESKALASI counts as a missed deadline of the OPD.
 * Returns 1 applied, 2 applied before, 0 status changed meanwhile, -1 no ticket. */
"redis.register_function('kt_ticket_update', function(k, a)\n"
"  if redis.call('EXISTS', k[3]) == 1 then return 2 end\n"
"  local cur = redis.call('HGET', k[1], 'status')\n"
"  if not cur then return -1 end\n"
"  if cur ~= a[2] then return 0 end\n"
"  local opd = redis.call('HGET', k[1], 'opd') or ''\n"
"  if a[11] and a[11] ~= '' and opd ~= a[11] then return 0 end\n"
"  cidx_ensure()\n"
"  local seq = redis.call('HGET', k[1], 'seq')\n"
"  local new_opd = a[9] ~= '' and a[9] or opd\n"
"  if cur ~= a[3] or opd ~= new_opd then\n"
"    cidx_add(seq, cur, opd, -1); cidx_add(seq, a[3], new_opd, 1)\n"
"  end\n"
"  if a[5] == 'ESKALASI' then stat('missed:' .. opd) end\n"
"  if redis.call('HGET', k[1], 'urgent') == '1' then\n"
"    local closed = {SELESAI = 1, BUKAN_WEWENANG = 1, DITOLAK = 1, DITUTUP = 1}\n"
"    if closed[a[3]] then redis.call('ZREM', 'kt:tickets:urgent', seq)\n"
"    else redis.call('ZADD', 'kt:tickets:urgent', seq, seq) end\n"
"  end\n"
"  redis.call('HSET', k[1], 'status', a[3], 'updated', a[1], 'last_action', a[5],\n"
"    'last_actor', a[4])\n"
"  if a[9] ~= '' then redis.call('HSET', k[1], 'opd', a[9]) end\n"
"  if a[10] ~= '' then redis.call('HSET', k[1], 'escalation', a[10]) end\n"
"  if a[7] == '' then\n"
"    redis.call('ZREM', k[2], 'ticket:' .. seq)\n"
"    redis.call('HSET', k[1], 'deadline', '', 'deadline_kind', '')\n"
"  elseif a[7] ~= '-' then\n"
"    redis.call('ZADD', k[2], a[7], 'ticket:' .. seq)\n"
"    redis.call('HSET', k[1], 'deadline', a[7], 'deadline_kind', a[8])\n"
"  end\n"
"  redis.call('XADD', k[1] .. ':log', '*', 'at', a[1], 'actor', a[4], 'action', a[5],\n"
"    'from', cur, 'to', a[3], 'note', a[6])\n"
"  redis.call('SET', k[3], '1', 'EX', 2592000)\n"
"  return 1\n"
"end)\n"
/* kt_ticket_place: KEYS ticket, applied; ARGV phone, kecamatan, desa, now_ms, actor.
 * A resident's LOKASI: only the number that filed the ticket may move it.
 * Returns 1 applied, 2 applied before, 0 someone else's, -1 no ticket. */
"redis.register_function('kt_ticket_place', function(k, a)\n"
"  if redis.call('EXISTS', k[2]) == 1 then return 2 end\n"
"  local phone = redis.call('HGET', k[1], 'phone')\n"
"  if not phone then return -1 end\n"
"  if phone ~= a[1] then return 0 end\n"
"  local old = (redis.call('HGET', k[1], 'desa') or '') .. '/' .. (redis.call('HGET', k[1], 'kecamatan') or '')\n"
"  redis.call('HSET', k[1], 'kecamatan', a[2], 'desa', a[3], 'updated', a[4])\n"
"  redis.call('XADD', k[1] .. ':log', '*', 'at', a[4], 'actor', a[5], 'action', 'LOKASI',\n"
"    'from', old, 'to', a[3] .. '/' .. a[2], 'note', '')\n"
"  redis.call('SET', k[2], '1', 'EX', 2592000)\n"
"  return 1\n"
"end)\n"
/* kt_pending_take: KEYS pending, taken; ARGV ttl. A resident's YA takes the
 * text kept by the question "Balas YA ..." once: the same YA read again
 * after a crash gets the same text (taken), another YA gets nothing. */
"redis.register_function('kt_pending_take', function(k, a)\n"
"  local t = redis.call('GET', k[2])\n"
"  if t then return t end\n"
"  t = redis.call('GET', k[1])\n"
"  if not t then return false end\n"
"  redis.call('DEL', k[1])\n"
"  redis.call('SET', k[2], t, 'EX', tonumber(a[1]))\n"
"  return t\n"
"end)\n"
/* kt_ticket_awaiting: KEYS byphone; ARGV status. The newest ticket of this
 * resident in that status (for PUAS / TIDAK PUAS), or 0. */
"redis.register_function('kt_ticket_awaiting', function(k, a)\n"
"  for _, seq in ipairs(redis.call('ZREVRANGE', k[1], 0, 49)) do\n"
"    if redis.call('HGET', 'kt:ticket:' .. seq, 'status') == a[1] then return tonumber(seq) end\n"
"  end\n"
"  return 0\n"
"end)\n"
/* kt_subscribe: KEYS sub (areas of a number), subs (numbers of an area), consent
 * ARGV number, area, now_ms, channel, inbound. Returns 1 new, 0 already. */
"redis.register_function('kt_subscribe', function(k, a)\n"
"  local new = redis.call('SADD', k[1], a[2])\n"
"  redis.call('SADD', k[2], a[1])\n"
"  redis.call('SADD', 'kt:subscribers', a[1])\n"
"  redis.call('DEL', 'kt:optout:' .. a[1])\n"
"  if new == 1 then\n"
"    redis.call('XADD', k[3], '*', 'at', a[3], 'consent', 'yes', 'area', a[2],\n"
"      'channel', a[4], 'message', a[5])\n"
"  end\n"
"  return new\n"
"end)\n"
/* kt_unsubscribe: KEYS sub, consent, optout; ARGV number, now_ms, channel, inbound.
 * Removes every subscription of the number; returns how many there were. */
"redis.register_function('kt_unsubscribe', function(k, a)\n"
"  local areas = redis.call('SMEMBERS', k[1])\n"
"  for _, area in ipairs(areas) do redis.call('SREM', 'kt:subs:' .. area, a[1]) end\n"
"  redis.call('DEL', k[1])\n"
"  redis.call('SREM', 'kt:subscribers', a[1])\n"
"  redis.call('SET', k[3], a[2])\n"
"  redis.call('XADD', k[2], '*', 'at', a[2], 'consent', 'no', 'area', '*', 'channel', a[3],\n"
"    'message', a[4])\n"
"  return #areas\n"
"end)\n"
/* kt_adminduk_import: KEYS lane; ARGV now_ms, expires_ms, then rows of
 * (number, doc, phone, status, note, sms_note, sms_number). All rows in one step;
 * an applicant gets an SMS when the status becomes SIAP DIAMBIL. Returns
 * {rows, changed, notified}. */
"redis.register_function('kt_adminduk_import', function(k, a)\n"
"  local rows, changed, notified = 0, 0, 0\n"
"  for i = 3, #a, 7 do\n"
"    local key = 'kt:adminduk:' .. string.upper(a[i])\n"
"    local old = redis.call('HMGET', key, 'status', 'note', 'phone', 'doc')\n"
"    rows = rows + 1\n"
"    if old[1] ~= a[i + 3] or old[2] ~= a[i + 4] or old[3] ~= a[i + 2] or old[4] ~= a[i + 1] then\n"
"      changed = changed + 1\n"
"      redis.call('HSET', key, 'number', a[i], 'doc', a[i + 1], 'phone', a[i + 2],\n"
"        'status', a[i + 3], 'note', a[i + 4], 'updated', a[1])\n"
"      redis.call('XADD', key .. ':log', '*', 'at', a[1], 'from', old[1] or '',\n"
"        'to', a[i + 3], 'note', a[i + 4])\n"
"      if a[i + 3] == 'SIAP DIAMBIL' and old[1] ~= 'SIAP DIAMBIL' then\n"
"        local text = 'Dokumen ' .. a[i + 1] .. ' Anda (no. ' .. a[i + 6] ..\n"
"          ') SIAP DIAMBIL di Disdukcapil Batang. Bawa bukti permohonan.'\n"
"        if a[i + 5] ~= '' then text = text .. ' ' .. a[i + 5] end\n"
"        redis.call('XADD', k[1], '*', 'to', a[i + 2], 'text', text, 'expires', a[2],\n"
"          'kind', 'notice', 'origin', 'adminduk:' .. a[i], 'seq', '1', 'created', a[1])\n"
"        notified = notified + 1\n"
"      end\n"
"    end\n"
"  end\n"
"  return {rows, changed, notified}\n"
"end)\n"
/* kt_deadletter: KEYS stream, dead; ARGV group, max_deliveries. Entries
 * delivered more often than that without being acknowledged (a handler that
 * keeps failing on them) are copied to kt:dead for staff and acknowledged,
 * so they stop being retried; nothing is deleted. Returns how many. */
"redis.register_function('kt_deadletter', function(k, a)\n"
"  local moved = 0\n"
"  for _, p in ipairs(redis.call('XPENDING', k[1], a[1], '-', '+', 100)) do\n"
"    if p[4] > tonumber(a[2]) then\n"
"      local e = redis.call('XRANGE', k[1], p[1], p[1])\n"
"      local fields = {'stream', k[1], 'id', p[1], 'deliveries', tostring(p[4])}\n"
"      if #e > 0 then for _, v in ipairs(e[1][2]) do fields[#fields + 1] = v end end\n"
"      redis.call('XADD', k[2], 'MAXLEN', '~', '100000', '*', unpack(fields))\n"
"      redis.call('XACK', k[1], a[1], p[1])\n"
"      moved = moved + 1\n"
"    end\n"
"  end\n"
"  return moved\n"
"end)\n"
/* kt_ussd_touch: KEYS session, draft; ARGV number, ttl, now (s), keep (s),
 * first ("1" on a session's first screen). Binds a USSD session to the number
 * that opened it and keeps it alive, in one round trip. A new session takes
 * the number's interrupted complaint (the draft) if there is one, and keeps
 * it for its whole life, so a resent screen gets the same answer. The record
 * outlives the session by `keep` seconds so a late screen is known as
 * expired. Returns {1, draft} (alive), {0, ''} (another number's session,
 * left untouched) or {2, draft} (expired).
 * The record is one string, "NUMBER LAST DRAFT" (a number is digits, LAST
 * the Unix time of the last screen): read and rewritten with one command
 * each, as every screen does this; a hash took three commands and a quarter
 * more of Redis's time. A session recorded as a hash by an older gateway is
 * read as one and carried on as a string. */
"local function ussd_record(key)\n"
"  local s = redis.pcall('GET', key)\n"
"  if not s then return nil end\n"
"  if type(s) == 'string' then return string.match(s, '^(%d+) (%-?%d+) (.*)$') end\n"
"  local h = redis.call('HMGET', key, 'phone', 'last', 'draft')\n"
"  if not h[1] then return nil end\n"
"  return h[1], h[2] or '0', h[3] or ''\n"
"end\n"
"redis.register_function('kt_ussd_touch', function(k, a)\n"
"  local phone, last, draft = ussd_record(k[1])\n"
"  if phone then\n"
"    if phone ~= a[1] then return {0, ''} end\n"
"    if tonumber(a[3]) - tonumber(last) > tonumber(a[2]) then return {2, draft} end\n"
"  else\n"
"    draft = ''\n"
"    if a[5] == '1' then draft = redis.call('GET', k[2]) or '' end\n"
"  end\n"
"  redis.call('SET', k[1], a[1] .. ' ' .. a[3] .. ' ' .. draft, 'EX', a[4])\n"
"  return {1, draft}\n"
"end)\n"
/* kt_trim: KEYS lane; ARGV group, now_ms, keep_ms. Deletes the lane's
 * entries the workers are done with — delivered and acknowledged, older than
 * every pending and every undelivered one — once they are keep_ms old
 * (kt:sent keeps the record of each). Returns how many. */
"local function id_less(x, y)\n"
"  local xa, xb = string.match(x, '(%d+)-(%d+)')\n"
"  local ya, yb = string.match(y, '(%d+)-(%d+)')\n"
"  if tonumber(xa) ~= tonumber(ya) then return tonumber(xa) < tonumber(ya) end\n"
"  return tonumber(xb) < tonumber(yb)\n"
"end\n"
"redis.register_function('kt_trim', function(k, a)\n"
"  if redis.call('EXISTS', k[1]) == 0 then return 0 end\n"
"  local last = nil\n"
"  for _, g in ipairs(redis.call('XINFO', 'GROUPS', k[1])) do\n"
"    local f = {}\n"
"    for i = 1, #g, 2 do f[g[i]] = g[i + 1] end\n"
"    if f['name'] == a[1] then last = f['last-delivered-id'] end\n"
"  end\n"
"  if not last then return 0 end\n"
"  local lms, lseq = string.match(last, '(%d+)-(%d+)')\n"
"  local bound = lms .. '-' .. (tonumber(lseq) + 1)\n" /* past the last delivered one */
"  local p = redis.call('XPENDING', k[1], a[1])\n"
"  if tonumber(p[1]) > 0 and p[2] and id_less(p[2], bound) then bound = p[2] end\n"
"  local old = string.format('%d-0', tonumber(a[2]) - tonumber(a[3]))\n"
"  if id_less(old, bound) then bound = old end\n"
"  return redis.call('XTRIM', k[1], 'MINID', bound)\n"
"end)\n"
/* kt_bc_create: KEYS seq, index (zset of broadcasts), then the subscriber
 * sets of the areas (kt:subs:AREA, or kt:subscribers for everyone);
 * ARGV now_s, text, parts, coding, emergency (0|1), at_s, actor, audience (as
 * asked, for display), idem ("" or a key making a repeat return the first),
 * n, then n numbers. Gathers the recipients once, de-duplicated, without
 * opted-out numbers, into kt:bc:ID:todo. Returns {id, recipients, repeat}. */
"redis.register_function('kt_bc_create', function(k, a)\n"
"  if a[9] ~= '' then\n"
"    local old = redis.call('GET', a[9])\n"
"    if old then return {tonumber(old), tonumber(redis.call('HGET', 'kt:bc:' .. old, 'recipients') or '0'), 1} end\n"
"  end\n"
"  local id = redis.call('INCR', k[1])\n"
"  local key = 'kt:bc:' .. id\n"
"  local all, todo = key .. ':all', key .. ':todo'\n"
"  redis.call('DEL', all, todo)\n"
"  for i = 3, #k, 100 do redis.call('SUNIONSTORE', all, all, unpack(k, i, math.min(i + 99, #k))) end\n"
"  local n = tonumber(a[10])\n"
"  for i = 11, 10 + n, 500 do redis.call('SADD', all, unpack(a, i, math.min(i + 499, 10 + n))) end\n"
"  local count, batch = 0, {}\n"
"  for _, num in ipairs(redis.call('SMEMBERS', all)) do\n"
"    if redis.call('EXISTS', 'kt:optout:' .. num) == 0 then\n"
"      batch[#batch + 1] = num; count = count + 1\n"
"      if #batch == 500 then redis.call('RPUSH', todo, unpack(batch)); batch = {} end\n"
"    end\n"
"  end\n"
"  if #batch > 0 then redis.call('RPUSH', todo, unpack(batch)) end\n"
"  redis.call('DEL', all)\n"
"  redis.call('HSET', key, 'id', id, 'text', a[2], 'parts', a[3], 'coding', a[4],\n"
"    'emergency', a[5], 'at', a[6], 'actor', a[7], 'audience', a[8], 'created', a[1],\n"
"    'status', 'scheduled', 'recipients', count, 'queued', 0, 'sent', 0, 'failed', 0,\n"
"    'expired', 0, 'cancelled', 0, 'delivered', 0)\n"
"  redis.call('ZADD', k[2], id, id)\n"
"  if count > 0 then redis.call('SADD', 'kt:bc:active', id)\n"
"  else redis.call('HSET', key, 'status', 'done', 'finished', a[1]) end\n"
"  if a[9] ~= '' then redis.call('SET', a[9], id, 'EX', 86400) end\n"
"  return {id, count, 0}\n"
"end)\n"
/* kt_bc_audience: KEYS the subscriber sets; ARGV numbers. How many numbers a
 * broadcast to them would reach now (for a confirmation before sending). */
"redis.register_function('kt_bc_audience', function(k, a)\n"
"  local seen, count = {}, 0\n"
"  local function add(num)\n"
"    if not seen[num] then\n"
"      seen[num] = true\n"
"      if redis.call('EXISTS', 'kt:optout:' .. num) == 0 then count = count + 1 end\n"
"    end\n"
"  end\n"
"  for _, set in ipairs(k) do\n"
"    for _, num in ipairs(redis.call('SMEMBERS', set)) do add(num) end\n"
"  end\n"
"  for _, num in ipairs(a) do add(num) end\n"
"  return count\n"
"end)\n"
/* kt_bc_feed: KEYS active set, emergency lane, bulk lane; ARGV now_s, quiet
 * (1 inside quiet hours), window, now_ms, ttl_ms. Moves recipients of every
 * broadcast that may go now from its todo list onto its lane, keeping at
 * most `window` of each in flight; a recipient leaves the list in the same
 * step as its message is queued, so none is queued twice. Returns how many
 * were queued. */
"redis.register_function('kt_bc_feed', function(k, a)\n"
"  local now, quiet, window = tonumber(a[1]), a[2] == '1', tonumber(a[3])\n"
"  local fed = 0\n"
"  for _, id in ipairs(redis.call('SMEMBERS', k[1])) do\n"
"    local key = 'kt:bc:' .. id\n"
"    local h = redis.call('HMGET', key, 'status', 'at', 'emergency', 'queued', 'sent', 'failed',\n"
"      'expired', 'cancelled', 'text')\n"
"    if not h[1] or h[1] == 'cancelled' or h[1] == 'done' then\n"
"      redis.call('SREM', k[1], id)\n"
"    elseif tonumber(h[2] or '0') > now then\n"
"      if h[1] ~= 'scheduled' then redis.call('HSET', key, 'status', 'scheduled') end\n"
"    elseif h[3] ~= '1' and quiet then\n"
"      if h[1] ~= 'waiting' then redis.call('HSET', key, 'status', 'waiting') end\n"
"    else\n"
"      if h[1] ~= 'running' then\n"
"        redis.call('HSET', key, 'status', 'running'); redis.call('HSETNX', key, 'started', a[1])\n"
"      end\n"
"      local inflight = tonumber(h[4]) - tonumber(h[5]) - tonumber(h[6]) - tonumber(h[7]) - tonumber(h[8])\n"
"      local room = window - inflight\n"
"      local nums = room > 0 and redis.call('LPOP', key .. ':todo', room) or nil\n"
"      if nums then\n"
"        local lane = h[3] == '1' and k[2] or k[3]\n"
"        local expires = tostring(tonumber(a[4]) + tonumber(a[5]))\n"
"        for _, num in ipairs(nums) do\n"
"          redis.call('XADD', lane, '*', 'to', num, 'text', h[9], 'expires', expires,\n"
"            'kind', 'broadcast', 'origin', 'bc:' .. id, 'seq', '1', 'created', a[4])\n"
"        end\n"
"        redis.call('HINCRBY', key, 'queued', #nums)\n"
"        fed = fed + #nums\n"
"      elseif inflight <= 0 and redis.call('LLEN', key .. ':todo') == 0 then\n"
"        redis.call('HSET', key, 'status', 'done', 'finished', a[1])\n"
"        redis.call('SREM', k[1], id)\n"
"      end\n"
"    end\n"
"  end\n"
"  return fed\n"
"end)\n"
/* kt_bc_get: ARGV id. {hash as a flat list, failure reasons as a flat list},
 * or nil when there is no such broadcast. */
"redis.register_function('kt_bc_get', function(k, a)\n"
"  local h = redis.call('HGETALL', 'kt:bc:' .. a[1])\n"
"  if #h == 0 then return nil end\n"
"  return {h, redis.call('HGETALL', 'kt:bc:' .. a[1] .. ':fail')}\n"
"end)\n"
/* kt_bc_list: KEYS index; ARGV offset, limit. Newest first:
 * {total, {hash, fails}, ...}. */
"redis.register_function('kt_bc_list', function(k, a)\n"
"  local out = {redis.call('ZCARD', k[1])}\n"
"  local first = tonumber(a[1])\n"
"  for _, id in ipairs(redis.call('ZREVRANGE', k[1], first, first + tonumber(a[2]) - 1)) do\n"
"    out[#out + 1] = {redis.call('HGETALL', 'kt:bc:' .. id), redis.call('HGETALL', 'kt:bc:' .. id .. ':fail')}\n"
"  end\n"
"  return out\n"
"end)\n"
/* kt_bc_cancel: KEYS broadcast hash, active set, emergency lane, bulk lane;
 * ARGV now_s, id, group. Stops a broadcast: recipients not yet queued, and
 * queued messages no modem has taken yet, are dropped (counted as
 * cancelled); a worker skips the few it had already taken. Returns the
 * status before (nil when there is no such broadcast). */
"redis.register_function('kt_bc_cancel', function(k, a)\n"
"  local st = redis.call('HGET', k[1], 'status')\n"
"  if not st then return nil end\n"
"  if st == 'done' or st == 'cancelled' then return st end\n"
"  local left = redis.call('LLEN', k[1] .. ':todo')\n"
"  redis.call('DEL', k[1] .. ':todo')\n"
"  for l = 3, 4 do\n"
"    if redis.call('EXISTS', k[l]) == 1 then\n"
"      local last = '0-0'\n"
"      for _, g in ipairs(redis.call('XINFO', 'GROUPS', k[l])) do\n"
"        local f = {}\n"
"        for i = 1, #g, 2 do f[g[i]] = g[i + 1] end\n"
"        if f['name'] == a[3] then last = f['last-delivered-id'] end\n"
"      end\n"
"      for _, e in ipairs(redis.call('XRANGE', k[l], '(' .. last, '+')) do\n"
"        local f = e[2]\n"
"        for i = 1, #f - 1, 2 do\n"
"          if f[i] == 'origin' and f[i + 1] == 'bc:' .. a[2] then\n"
"            redis.call('XDEL', k[l], e[1]); left = left + 1\n"
"          end\n"
"        end\n"
"      end\n"
"    end\n"
"  end\n"
"  redis.call('HINCRBY', k[1], 'cancelled', left)\n"
"  redis.call('HSET', k[1], 'status', 'cancelled', 'finished', a[1])\n"
"  redis.call('SREM', k[2], a[2])\n"
"  return st\n"
"end)\n"
/* kt_unsubscribe_area: KEYS sub, subs, consent; ARGV number, area, now_ms,
 * channel, inbound. One area of a number (the admin API); 1 removed, 0 not
 * subscribed to it. */
"redis.register_function('kt_unsubscribe_area', function(k, a)\n"
"  if redis.call('SREM', k[1], a[2]) == 0 then return 0 end\n"
"  redis.call('SREM', k[2], a[1])\n"
"  if redis.call('SCARD', k[1]) == 0 then redis.call('SREM', 'kt:subscribers', a[1]) end\n"
"  redis.call('XADD', k[3], '*', 'at', a[3], 'consent', 'no', 'area', a[2], 'channel', a[4],\n"
"    'message', a[5])\n"
"  return 1\n"
"end)\n"
/* kt_complaints_list: ARGV status ('' any), opd ('' any), offset, limit.
 * Open urgent tickets first (kt:tickets:urgent), then newest first;
 * returns {total, {field, value, ...} per ticket}. */
"redis.register_function('kt_complaints_list', function(k, a)\n"
"  cidx_ensure()\n"
"  local st, opd, off, lim = a[1], a[2], tonumber(a[3]), tonumber(a[4])\n"
"  local function wanted(s)\n"
"    if st ~= '' and not redis.call('ZSCORE', 'kt:tickets:status:' .. st, s) then return false end\n"
"    if opd ~= '' and not redis.call('ZSCORE', 'kt:tickets:opd:' .. opd, s) then return false end\n"
"    return true\n"
"  end\n"
"  local urgent, isurg = {}, {}\n"
"  for _, s in ipairs(redis.call('ZREVRANGE', 'kt:tickets:urgent', 0, -1)) do\n"
"    if wanted(s) then urgent[#urgent + 1] = s; isurg[s] = true end\n"
"  end\n"
"  local seqs, total = {}, 0\n"
"  for i = off + 1, math.min(#urgent, off + lim) do seqs[#seqs + 1] = urgent[i] end\n"
"  local skip, want = math.max(0, off - #urgent), lim - #seqs\n"
"  if st == '' and opd == '' then\n"
"    total = tonumber(redis.call('GET', 'kt:ticket:seq') or '0')\n"
"  elseif st == '' or opd == '' then\n"
"    total = redis.call('ZCARD', st ~= '' and ('kt:tickets:status:' .. st) or ('kt:tickets:opd:' .. opd))\n"
"  else\n"
"    total = tonumber(redis.call('HGET', 'kt:stats:complaints', st .. '|' .. opd) or '0')\n"
"  end\n"
"  if #urgent == 0 and st == '' and opd == '' then\n"
"    for s = total - off, math.max(1, total - off - lim + 1), -1 do seqs[#seqs + 1] = s end\n"
"  elseif #urgent == 0 and (st == '' or opd == '') then\n"
"    local key = st ~= '' and ('kt:tickets:status:' .. st) or ('kt:tickets:opd:' .. opd)\n"
"    seqs = redis.call('ZREVRANGE', key, off, off + lim - 1)\n"
"  elseif want > 0 then\n"
"    -- walk newest first, leaving out the urgent ones already shown\n"
"    local walk, other\n"
"    if st ~= '' and opd ~= '' then\n"
"      walk, other = 'kt:tickets:status:' .. st, 'kt:tickets:opd:' .. opd\n"
"      if redis.call('ZCARD', walk) > redis.call('ZCARD', other) then walk, other = other, walk end\n"
"    elseif st ~= '' or opd ~= '' then\n"
"      walk = st ~= '' and ('kt:tickets:status:' .. st) or ('kt:tickets:opd:' .. opd)\n"
"    end\n"
"    local at, skipped, got = 0, 0, 0\n"
"    while got < want do\n"
"      local chunk = {}\n"
"      if walk then chunk = redis.call('ZREVRANGE', walk, at, at + 499)\n"
"      else for s = total - at, math.max(1, total - at - 499), -1 do chunk[#chunk + 1] = tostring(s) end end\n"
"      if #chunk == 0 then break end\n"
"      for _, s in ipairs(chunk) do\n"
"        if got < want and not isurg[s] and (not other or redis.call('ZSCORE', other, s)) then\n"
"          if skipped < skip then skipped = skipped + 1 else seqs[#seqs + 1] = s; got = got + 1 end\n"
"        end\n"
"      end\n"
"      at = at + 500\n"
"    end\n"
"  end\n"
"  local out = {total}\n"
"  for _, s in ipairs(seqs) do\n"
"    local h = redis.call('HGETALL', 'kt:ticket:' .. s)\n"
"    if #h > 0 then out[#out + 1] = h end\n"
"  end\n"
"  return out\n"
"end)\n"
/* kt_observe: KEYS histogram hash; ARGV bucket field, value_ms. One
 * observation of a latency histogram (the bucket is chosen by the caller). */
"redis.register_function('kt_observe', function(k, a)\n"
"  redis.call('HINCRBY', k[1], a[1], 1)\n"
"  redis.call('HINCRBY', k[1], 'count', 1)\n"
"  redis.call('HINCRBY', k[1], 'sum_ms', tonumber(a[2]) or 0)\n"
"  return 1\n"
"end)\n"
/* kt_ussd_ask: KEYS modem status hash, the modem's USSD queue; ARGV now_ms,
 * alive_ms, max_waiting, code, expires_ms, by. Queues a USSD code for the
 * modem's worker when the modem is up (state up, alive within alive_ms) and
 * fewer than max_waiting requests wait. Returns {'queued', request id},
 * {'down', state} or {'busy', waiting}. */
"local function modem_ask(k, a, fields)\n"
"  local h = redis.call('HMGET', k[1], 'state', 'alive')\n"
"  local now = tonumber(a[1])\n"
"  if h[1] ~= 'up' or now - tonumber(h[2] or '0') > tonumber(a[2]) then\n"
"    return {'down', h[1] or 'unknown'}\n"
"  end\n"
"  local waiting = redis.call('XLEN', k[2])\n"
"  if waiting >= tonumber(a[3]) then return {'busy', tostring(waiting)} end\n"
"  local id = redis.call('INCR', '" STORE_USSD_SEQ "')\n"
"  redis.call('XADD', k[2], '*', 'req', id, unpack(fields))\n"
"  return {'queued', tostring(id)}\n"
"end\n"
"redis.register_function('kt_ussd_ask', function(k, a)\n"
"  return modem_ask(k, a, {'code', a[4], 'expires', a[5], 'by', a[6], 'created', a[1]})\n"
"end)\n"
/* kt_probe_ask: KEYS modem status hash, the modem's USSD queue; ARGV now_ms,
 * alive_ms, max_waiting, number ('' = the modem's own_number), expires_ms, by.
 * Queues an installer's probe for the modem's worker on the queue USSD codes
 * use (kind probe), under the same conditions as kt_ussd_ask; its answer comes
 * back the same way (kt_ussd_done). Returns what kt_ussd_ask returns. */
"redis.register_function('kt_probe_ask', function(k, a)\n"
"  return modem_ask(k, a, {'kind', 'probe', 'number', a[4], 'expires', a[5], 'by', a[6],\n"
"    'created', a[1]})\n"
"end)\n"
/* kt_ussd_done: KEYS the modem's USSD queue, result hash; ARGV group, entry
 * id, ttl (s), then field, value, ... The worker's answer to one request:
 * the result is written (expiring) and the request leaves the queue, in one
 * step. */
"redis.register_function('kt_ussd_done', function(k, a)\n"
"  redis.call('DEL', k[2])\n"
"  if #a > 4 then redis.call('HSET', k[2], unpack(a, 4, #a)) end\n"
"  redis.call('EXPIRE', k[2], a[3])\n"
"  redis.call('XACK', k[1], a[1], a[2])\n"
"  redis.call('XDEL', k[1], a[2])\n"
"  return 1\n"
"end)\n"
/* kt_credit: KEYS modem status hash, the lane alerts go on; ARGV now_ms,
 * credit ('' when the answer held none), raw answer, error, low, expires_ms,
 * alert text, modem, then the staff numbers. Records a balance check and,
 * when the credit is below low and staff were not told since it last was at
 * or above low, queues the alert to each of them (kind alert, origin
 * credit:MODEM). Returns {'error'|'ok'|'low'|'crossed', alerts queued}. */
"redis.register_function('kt_credit', function(k, a)\n"
"  redis.call('HSET', k[1], 'credit_checked', a[1], 'credit_raw', a[3])\n"
"  if a[2] == '' then\n"
"    redis.call('HSET', k[1], 'credit_error', a[4])\n"
"    return {'error', 0}\n"
"  end\n"
"  redis.call('HSET', k[1], 'credit', a[2], 'credit_at', a[1])\n"
"  redis.call('HDEL', k[1], 'credit_error')\n"
"  if tonumber(a[2]) >= tonumber(a[5]) then\n"
"    redis.call('HDEL', k[1], 'credit_alerted')\n"
"    return {'ok', 0}\n"
"  end\n"
"  if redis.call('HEXISTS', k[1], 'credit_alerted') == 1 then return {'low', 0} end\n"
"  redis.call('HSET', k[1], 'credit_alerted', a[1])\n"
"  local n = 0\n"
"  for i = 9, #a do\n"
"    n = n + 1\n"
"    redis.call('XADD', k[2], '*', 'to', a[i], 'text', a[7], 'expires', a[6], 'kind', 'alert',\n"
"      'origin', 'credit:' .. a[8], 'seq', tostring(n), 'created', a[1])\n"
"  end\n"
"  return {'crossed', n}\n"
"end)\n"
/* kt_modem_alert: KEYS modem status hash; ARGV now_ms, after_ms, modem,
 * expires_ms, out text, back text, alive_ms, count of other modems, their
 * names, then the coordinators' numbers. Tells the coordinators once when a
 * modem has been out (state not up, not stopped) for after_ms, and once when
 * it is up again after such a message; the texts' {modem}, {since}, {reason}
 * and {minutes} are filled in here. Each message goes on the own lane of
 * another modem that is up (state up, alive within alive_ms); the "back"
 * message, when no other is up, on the modem's own. The outage is named by
 * state_since: SET NX kt:modemalert:MODEM:SINCE makes it once per outage,
 * whatever number of gateways call. Returns {'out'|'nolane'|'told'|'alerted'
 * |'back'|'ok', messages queued}. */
"redis.register_function('kt_modem_alert', function(k, a)\n"
"  local now, after, name, alive_ms = tonumber(a[1]), tonumber(a[2]), a[3], tonumber(a[7])\n"
"  local nother = tonumber(a[8])\n"
"  local h = redis.call('HMGET', k[1], 'state', 'state_since', 'alerted')\n"
"  local state, since = h[1] or '', tonumber(h[2] or '0') or 0\n"
"  local reasons = {down = 'tidak tersambung', connecting = 'tidak tersambung',\n"
"    no_network = 'tidak ada sinyal operator', sim_pin = 'SIM meminta PIN',\n"
"    sim_puk = 'SIM terblokir, perlu PUK', no_sim = 'SIM tidak terpasang'}\n"
"  local function lane()\n"
"    for i = 9, 8 + nother do\n"
"      local o = redis.call('HMGET', 'kt:modem:' .. a[i], 'state', 'alive')\n"
"      if o[1] == 'up' and now - (tonumber(o[2] or '0') or 0) < alive_ms then\n"
"        return 'kt:out:m:' .. a[i]\n"
"      end\n"
"    end\n"
"    return nil\n"
"  end\n"
"  local function wib(ms)\n"
"    local m = (math.floor(ms / 60000) + 7 * 60) % 1440\n"
"    return string.format('%02d:%02d', math.floor(m / 60), m % 60)\n"
"  end\n"
"  local function queue(l, text)\n"
"    local n = 0\n"
"    for i = 9 + nother, #a do\n"
"      n = n + 1\n"
"      redis.call('XADD', l, '*', 'to', a[i], 'text', text, 'expires', a[4], 'kind', 'alert',\n"
"        'origin', 'modem:' .. name, 'seq', tostring(n), 'created', a[1])\n"
"    end\n"
"    return n\n"
"  end\n"
"  if state ~= '' and state ~= 'up' and state ~= 'stopped' and since > 0 then\n"
"    if now - since < after then return {'out', 0} end\n"
"    if h[3] == tostring(since) then return {'told', 0} end\n"
"    local l = lane()\n"
"    if not l then return {'nolane', 0} end\n"
"    if not redis.call('SET', 'kt:modemalert:' .. name .. ':' .. since, '1', 'NX', 'PX',\n"
"        '604800000') then return {'told', 0} end\n"
"    redis.call('HSET', k[1], 'alerted', tostring(since))\n"
"    local text = a[5]:gsub('{modem}', name):gsub('{since}', wib(since))\n"
"    text = text:gsub('{reason}', reasons[state] or state)\n"
"    return {'alerted', queue(l, text)}\n"
"  end\n"
"  if state == 'up' and h[3] then\n"
"    local began = tonumber(h[3]) or since\n"
"    redis.call('HDEL', k[1], 'alerted')\n"
"    local text = a[6]:gsub('{modem}', name):gsub('{since}', wib(since))\n"
"    text = text:gsub('{minutes}', tostring(math.floor((since - began) / 60000)))\n"
"    return {'back', queue(lane() or ('kt:out:m:' .. name), text)}\n"
"  end\n"
"  return {'ok', 0}\n"
"end)\n"
/* kt_auth: KEYS failures (zset), lock, result (per inbound message),
 * pending, confirmed, then keys dropped on a lockout; ARGV now_ms, pin_ok
 * (1|0, compared by the caller), code digest given ('' none), max failures,
 * window_ms, lock_ms, result ttl (s), official (for kt:stats), mode (none:
 * a command; pending: confirm what waits under pending, with its code if it
 * has one; drop: the same without the code), match field, match value (the
 * pending hash must hold it; '' any). May this message act in the
 * official's name (handlers/auth.h)? One step: a locked official is refused;
 * a wrong PIN or code is counted over the window and at max locks the
 * official, drops what waited and counts a lockout; a right one clears the
 * count and, for pending, moves what waited to confirmed (so it is used
 * once). The result is kept under the message's id: read again, the message
 * gets the same answer and counts once. Returns {status, until_ms,
 * failures, confirmed fields}, status ok | bad | lockout | locked | nothing
 * (no such pending) | nocode (the pending needs a code, none given). */
"redis.register_function('kt_auth', function(k, a)\n"
"  local prev = redis.call('HMGET', k[3], 'status', 'until', 'failures')\n"
"  if prev[1] then\n"
"    return {prev[1], tonumber(prev[2]), tonumber(prev[3]), redis.call('HGETALL', k[5])}\n"
"  end\n"
"  local now = tonumber(a[1])\n"
"  local function result(status, untilms, n)\n"
"    redis.call('HSET', k[3], 'status', status, 'until', untilms, 'failures', n)\n"
"    redis.call('EXPIRE', k[3], a[7])\n"
"    return {status, untilms, n, redis.call('HGETALL', k[5])}\n"
"  end\n"
"  local lock = tonumber(redis.call('GET', k[2]) or '0')\n"
"  if lock > now then return result('locked', lock, 0) end\n"
"  local code_ok = true\n"
"  if a[9] ~= 'none' then\n"
"    if redis.call('EXISTS', k[4]) == 0 then return result('nothing', 0, 0) end\n"
"    if a[10] ~= '' and redis.call('HGET', k[4], a[10]) ~= a[11] then return result('nothing', 0, 0) end\n"
"    local code = redis.call('HGET', k[4], 'code') or ''\n"
"    if a[9] == 'pending' and code ~= '' then\n"
"      if a[3] == '' then return result('nocode', 0, 0) end\n"
"      code_ok = code == a[3]\n"
"    end\n"
"  end\n"
"  if a[2] == '1' and code_ok then\n"
"    redis.call('DEL', k[1])\n"
"    if a[9] ~= 'none' then\n"
"      redis.call('RENAME', k[4], k[5]); redis.call('EXPIRE', k[5], a[7])\n"
"    end\n"
"    return result('ok', 0, 0)\n"
"  end\n"
"  redis.call('ZADD', k[1], now, k[3])\n"
"  redis.call('ZREMRANGEBYSCORE', k[1], '-inf', now - tonumber(a[5]))\n"
"  redis.call('PEXPIRE', k[1], a[5])\n"
"  local n = redis.call('ZCARD', k[1])\n"
"  stat('pinfail:' .. a[8])\n"
"  if n >= tonumber(a[4]) then\n"
"    local untilms = now + tonumber(a[6])\n"
"    redis.call('SET', k[2], untilms, 'PX', a[6])\n"
"    redis.call('DEL', k[1])\n"
"    for i = 6, #k do redis.call('DEL', k[i]) end\n"
"    stat('lockout:' .. a[8])\n"
"    return result('lockout', untilms, n)\n"
"  end\n"
"  return result('bad', 0, n)\n"
"end)\n"
/* kt_pending_set: KEYS hash; ARGV ttl (s), then field, value, ... What waits
 * for an official's confirmation (kt:siar:NUMBER, kt:batal:NUMBER), replacing
 * whatever waited there, with its expiry, in one step. */
"redis.register_function('kt_pending_set', function(k, a)\n"
"  redis.call('DEL', k[1])\n"
"  redis.call('HSET', k[1], unpack(a, 2))\n"
"  redis.call('EXPIRE', k[1], a[1])\n"
"  return 1\n"
"end)\n"
/* kt_snapshot: ARGV group, day (YYYYMMDD, WIB), then modem names. What
 * GET /metrics and GET /api/modems show, in one round trip:
 * {kt:stats, kt:stats:complaints, {any, emergency, bulk lanes}, then per
 * modem {kt:modem:NAME, own lane, sent today, send histogram}}, hashes as
 * {field, value, ...} and lanes as {waiting, pending}: waiting is not yet
 * read by any worker, pending read and not yet finished. */
"local function lane_depth(lane, group)\n"
"  if redis.call('EXISTS', lane) == 0 then return {0, 0} end\n"
"  for _, g in ipairs(redis.call('XINFO', 'GROUPS', lane)) do\n"
"    local f = {}\n"
"    for i = 1, #g, 2 do f[g[i]] = g[i + 1] end\n"
"    if f['name'] == group then\n"
"      local lag = f['lag']\n"
"      if not lag then\n"
"        lag = #redis.call('XRANGE', lane, '(' .. f['last-delivered-id'], '+', 'COUNT', 10000)\n"
"      end\n"
"      return {lag, f['pending']}\n"
"    end\n"
"  end\n"
"  return {redis.call('XLEN', lane), 0}\n"
"end\n"
"redis.register_function('kt_snapshot', function(k, a)\n"
"  cidx_ensure()\n"
"  local out = {redis.call('HGETALL', 'kt:stats'), redis.call('HGETALL', 'kt:stats:complaints'),\n"
"    {lane_depth('" STORE_OUT_ANY "', a[1]), lane_depth('" STORE_OUT_EMERG "', a[1]),\n"
"     lane_depth('" STORE_OUT_BULK "', a[1])}}\n"
"  for i = 3, #a do\n"
"    out[#out + 1] = {redis.call('HGETALL', 'kt:modem:' .. a[i]),\n"
"      lane_depth('kt:out:m:' .. a[i], a[1]),\n"
"      tonumber(redis.call('GET', 'kt:cap:' .. a[i] .. ':' .. a[2]) or '0'),\n"
"      redis.call('HGETALL', 'kt:stats:send:' .. a[i])}\n"
"  end\n"
"  return out\n"
"end)\n";
/* clang-format on */

int store_rate_argv(const struct store_rate *in, struct store_rate_args *out)
{
    if (snprintf(out->minute, sizeof(out->minute), "kt:rate:%s", in->sender) >=
            (int)sizeof(out->minute) ||
        snprintf(out->day, sizeof(out->day), "kt:rate:day:%s", in->sender) >=
            (int)sizeof(out->day) ||
        snprintf(out->menu, sizeof(out->menu), "kt:menu:%s", in->sender) >=
            (int)sizeof(out->menu) ||
        snprintf(out->shed, sizeof(out->shed), "kt:shed:%s", in->sender) >= (int)sizeof(out->shed))
        return -1;
    snprintf(out->num[0], sizeof(out->num[0]), "%d", STORE_RATE_WINDOW);
    snprintf(out->num[1], sizeof(out->num[1]), "%d", STORE_RATE_DAY_WINDOW);
    snprintf(out->num[2], sizeof(out->num[2]), "%d", in->per_minute);
    snprintf(out->num[3], sizeof(out->num[3]), "%d", in->per_day);
    snprintf(out->num[4], sizeof(out->num[4]), "%d", in->budget);
    snprintf(out->num[5], sizeof(out->num[5]), "%d", in->shed_answers);
    const char *argv[STORE_RATE_ARGC] = {"FCALL",
                                         "kt_rate",
                                         "6",
                                         out->minute,
                                         out->day,
                                         out->menu,
                                         STORE_BUDGET,
                                         STORE_SHEDN,
                                         out->shed,
                                         out->num[0],
                                         out->num[1],
                                         in->id,
                                         out->num[2],
                                         out->num[3],
                                         out->num[4],
                                         out->num[5],
                                         in->free_answer ? "1" : "0"};
    memcpy(out->argv, argv, sizeof(argv));
    return 0;
}

unsigned long long store_hash(unsigned long long h, const void *buf, size_t len)
{
    const unsigned char *p = buf;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}
