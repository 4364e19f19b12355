/* store — see store.h. The Lua below is the only code that writes the
 * message pipeline's keys, so each transition is one atomic step. */
#include "gateway/store.h"

/* clang-format off */
const char store_library[] =
"#!lua name=kentongan\n"
/* kt_ingest: KEYS seen, in, parthash, partzset
 * ARGV ttl, partno, total, now_ms, modem, from, coding, smsc_time, text, data, udh */
"redis.register_function('kt_ingest', function(k, a)\n"
"  if not redis.call('SET', k[1], '1', 'NX', 'EX', a[1]) then return 0 end\n"
"  local total = tonumber(a[3])\n"
"  if total <= 1 then\n"
"    redis.call('XADD', k[2], 'MAXLEN', '~', '" STORE_IN_MAXLEN "', '*', 'modem', a[5], 'from', a[6],\n"
"      'coding', a[7], 'smsc_time', a[8], 'text', a[9], 'data', a[10], 'parts', '1',\n"
"      'incomplete', '0', 'received', a[4])\n"
"    return 1\n"
"  end\n"
"  redis.call('HSET', k[3], 't' .. a[2], a[9], 'd' .. a[2], a[10])\n"
"  redis.call('HSETNX', k[3], 'modem', a[5]); redis.call('HSETNX', k[3], 'from', a[6])\n"
"  redis.call('HSETNX', k[3], 'coding', a[7]); redis.call('HSETNX', k[3], 'smsc_time', a[8])\n"
"  redis.call('HSETNX', k[3], 'total', a[3]); redis.call('HSETNX', k[3], 'received', a[4])\n"
"  redis.call('ZADD', k[4], 'NX', a[4], k[3])\n"
"  local text, data = {}, {}\n"
"  for i = 1, total do\n"
"    local t = redis.call('HGET', k[3], 't' .. i)\n"
"    if not t then return 2 end\n"
"    text[i] = t; data[i] = redis.call('HGET', k[3], 'd' .. i) or ''\n"
"  end\n"
"  local h = redis.call('HMGET', k[3], 'coding', 'smsc_time', 'received')\n"
"  redis.call('XADD', k[2], 'MAXLEN', '~', '" STORE_IN_MAXLEN "', '*', 'modem', a[5], 'from', a[6],\n"
"    'coding', h[1], 'smsc_time', h[2], 'text', table.concat(text), 'data', table.concat(data),\n"
"    'parts', a[3], 'incomplete', '0', 'received', h[3])\n"
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
"      local text, data, have = {}, {}, 0\n"
"      for i = 1, tonumber(f.total) do\n"
"        if f['t' .. i] then\n"
"          have = have + 1; text[#text + 1] = f['t' .. i]; data[#data + 1] = f['d' .. i] or ''\n"
"        else text[#text + 1] = ' ... ' end\n"
"      end\n"
"      redis.call('XADD', k[2], 'MAXLEN', '~', '" STORE_IN_MAXLEN "', '*', 'modem', f.modem, 'from', f.from,\n"
"        'coding', f.coding, 'smsc_time', f.smsc_time, 'text', table.concat(text),\n"
"        'data', table.concat(data), 'parts', f.total, 'incomplete', tostring(f.total - have),\n"
"        'received', f.received)\n"
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
/* kt_rate: KEYS ratekey, menukey; ARGV window_seconds, message id. Returns
 * {count in this window, 1 if the sender is inside an SMS menu}; a message
 * read again (crash, retry) is counted once. */
"redis.register_function('kt_rate', function(k, a)\n"
"  local menu = redis.call('EXISTS', k[2])\n"
"  if not redis.call('SET', 'kt:rated:' .. a[2], '1', 'NX', 'EX', 3600) then\n"
"    return {tonumber(redis.call('GET', k[1]) or '1'), menu}\n"
"  end\n"
"  local c = redis.call('INCR', k[1])\n"
"  if c == 1 then redis.call('EXPIRE', k[1], a[1]) end\n"
"  return {c, menu}\n"
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
/* kt_finish: KEYS lane, sent, sendingkey; ARGV group, id, then field/value pairs for kt:sent */
"redis.register_function('kt_finish', function(k, a)\n"
"  redis.call('XADD', k[2], 'MAXLEN', '~', '" STORE_SENT_MAXLEN "', '*', unpack(a, 3))\n"
"  redis.call('XACK', k[1], a[1], a[2])\n"
"  redis.call('DEL', k[3])\n"
"  return 1\n"
"end)\n"
/* kt_failover: KEYS modemhash, ownlane, anylane; ARGV now_ms, after_ms, group, modem.
 * When the modem has been down for after_ms, moves the replies waiting on
 * its lane that no send has started on to the lane any modem serves. */
"redis.register_function('kt_failover', function(k, a)\n"
"  local now, after = tonumber(a[1]), tonumber(a[2])\n"
"  local h = redis.call('HMGET', k[1], 'state', 'state_since', 'alive')\n"
"  local since, alive = tonumber(h[2] or '0') or 0, tonumber(h[3] or '0') or 0\n"
"  local down = (h[1] and h[1] ~= 'up' and since > 0 and now - since >= after)\n"
"    or (alive > 0 and now - alive >= after)\n"
"  if not down or redis.call('EXISTS', k[2]) == 0 then return 0 end\n"
"  local last = '0-0'\n"
"  for _, g in ipairs(redis.call('XINFO', 'GROUPS', k[2])) do\n"
"    local f = {}\n"
"    for i = 1, #g, 2 do f[g[i]] = g[i + 1] end\n"
"    if f['name'] == a[3] then last = f['last-delivered-id'] end\n"
"  end\n"
"  local moved = 0\n"
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
 * gateways ticking, each deadline fires exactly once. */
"redis.register_function('kt_due', function(k, a)\n"
"  local due = redis.call('ZRANGEBYSCORE', k[1], '-inf', a[1], 'WITHSCORES', 'LIMIT', 0, tonumber(a[2]))\n"
"  for i = 1, #due, 2 do\n"
"    redis.call('ZREM', k[1], due[i])\n"
"    redis.call('XADD', k[2], '*', 'type', 'deadline', 'key', due[i], 'due', due[i + 1])\n"
"  end\n"
"  return #due / 2\n"
"end)\n"
/* kt_complaint_new: KEYS seq, byinbound, deadlines, byphone
 * ARGV now_ms, phone, text, category, opd, kecamatan, desa, status, deadline_ms,
 *      deadline_kind, channel, inbound, actor
 * Creates the ticket once per inbound message; returns {seq, created(1|0)}. */
"redis.register_function('kt_complaint_new', function(k, a)\n"
"  local old = redis.call('GET', k[2])\n"
"  if old then return {tonumber(old), 0} end\n"
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
 * was just reassigned cannot act on it), once per message or event.
 * Returns 1 applied, 2 applied before, 0 status changed meanwhile, -1 no ticket. */
"redis.register_function('kt_ticket_update', function(k, a)\n"
"  if redis.call('EXISTS', k[3]) == 1 then return 2 end\n"
"  local cur = redis.call('HGET', k[1], 'status')\n"
"  if not cur then return -1 end\n"
"  if cur ~= a[2] then return 0 end\n"
"  if a[11] and a[11] ~= '' and redis.call('HGET', k[1], 'opd') ~= a[11] then return 0 end\n"
"  local seq = redis.call('HGET', k[1], 'seq')\n"
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
 * it for its whole life, so a resent screen gets the same answer. The hash
 * outlives the session by `keep` seconds so a late screen is known as
 * expired. Returns {1, draft} (alive), {0, ''} (another number's session,
 * left untouched) or {2, draft} (expired). */
"redis.register_function('kt_ussd_touch', function(k, a)\n"
"  local s = redis.call('HMGET', k[1], 'phone', 'last', 'draft')\n"
"  if s[1] then\n"
"    if s[1] ~= a[1] then return {0, ''} end\n"
"    if tonumber(a[3]) - tonumber(s[2] or '0') > tonumber(a[2]) then return {2, s[3] or ''} end\n"
"    redis.call('HSET', k[1], 'last', a[3])\n"
"    redis.call('EXPIRE', k[1], a[4])\n"
"    return {1, s[3] or ''}\n"
"  end\n"
"  local d = ''\n"
"  if a[5] == '1' then d = redis.call('GET', k[2]) or '' end\n"
"  redis.call('HSET', k[1], 'phone', a[1], 'last', a[3], 'draft', d)\n"
"  redis.call('EXPIRE', k[1], a[4])\n"
"  return {1, d}\n"
"end)\n";
/* clang-format on */

unsigned long long store_hash(unsigned long long h, const void *buf, size_t len)
{
    const unsigned char *p = buf;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}
