-- tkt-auth: forward authentication ("auth_request") for HAProxy 2.6+.
--
-- HAProxy has no subrequest of its own. This action asks an auth endpoint
-- (tktd's /auth) about every request with core.httpclient(), the way nginx's
-- auth_request and Caddy's forward_auth do, and leaves the answer in
-- transaction variables for the configuration to act on:
--
--   txn.tkt_status      the auth response's status; 0 when the call itself
--                       failed (connection refused, timeout, Lua error)
--   txn.tkt_location    its Location header, if any
--   txn.tkt_set_cookie  its first Set-Cookie header, if any
--
-- On a 2xx answer its Remote-User, Remote-Groups and Remote-Data headers are
-- copied into the request, and a Basic or Bearer Authorization header (a
-- credential tktd took) is removed from it. Client-sent headers of those names (and with '_'
-- for '-') are deleted first, whatever the answer: the backend trusts them.
--
-- global
--     lua-load /etc/haproxy/tkt-auth.lua
-- frontend www
--     http-request lua.tkt-auth http://127.0.0.1:8080/auth
--     http-request redirect code 302 location %[var(txn.tkt_location)] if { var(txn.tkt_status) -m int 302 } { var(txn.tkt_location) -m found }
--     http-request redirect code 303 location %[var(txn.tkt_location)] if { var(txn.tkt_status) -m int 303 } { var(txn.tkt_location) -m found }
--     http-request redirect code 307 location %[var(txn.tkt_location)] if { var(txn.tkt_status) -m int 307 } { var(txn.tkt_location) -m found }
--     http-request deny deny_status 401 if { var(txn.tkt_status) -m int 401 }
--     http-request deny deny_status 403 if { var(txn.tkt_status) -m int 403 }
--     http-request deny deny_status 503 unless { var(txn.tkt_status) -m int 200:299 }
--     http-after-response add-header Set-Cookie %[var(txn.tkt_set_cookie)] if { var(txn.tkt_set_cookie) -m found }
--
-- The last deny fails closed: any other answer, and no answer, is a 503 (so
-- is a request the action did not run for: when only part of a site is
-- protected, give the rules the action's condition too).
-- http-after-response (not http-response) also reaches HAProxy's own
-- redirects and denials, so a cookie the endpoint sets or clears on its 302
-- or 401 gets to the browser too.
--
-- The auth URL must name an IP address: the Lua httpclient of HAProxy 2.6
-- resolves no host names without a resolvers section.

-- The auth call's limit per try, so that a hung endpoint fails closed. The
-- httpclient of HAProxy 2.6 tries 3 more times after a timeout (and after a
-- refused connection, 1 s apart), so a hung endpoint costs 4 x 2 s = 8 s and
-- sees the request 4 times before the 503.
local timeout_ms = 2000

-- The request headers the endpoint needs to judge the request, forwarded
-- with all their values.
local forwarded = { "cookie", "authorization", "accept", "x-requested-with" }

-- The identity headers copied from a 2xx answer into the request.
local identity = { "Remote-User", "Remote-Groups", "Remote-Data" }

-- values returns a header's values from a header table, whose entries are
-- lists indexed from 0 (both txn.http:req_get_headers() and the httpclient
-- response), in order.
local function values(hdrs, name)
	local t = hdrs[name]
	if t == nil then
		return {}
	end
	local out = {}
	local i = 0
	while t[i] ~= nil do
		out[#out + 1] = t[i]
		i = i + 1
	end
	-- Tolerate a 1-based list, as the documentation shows.
	if #out == 0 then
		for _, v in ipairs(t) do
			out[#out + 1] = v
		end
	end
	return out
end

-- lower returns hdrs with names in lower case: HTX lower-cases them
-- already, this only guards against versions that do not.
local function lower(hdrs)
	local out = {}
	for k, v in pairs(hdrs or {}) do
		out[string.lower(k)] = v
	end
	return out
end

local function uri(txn)
	if txn.sf.pathq ~= nil then
		local pq = txn.sf:pathq()
		if pq ~= nil and pq ~= "" then
			return pq
		end
	end
	local p, q = txn.sf:path() or "/", txn.sf:query()
	if q ~= nil and q ~= "" then
		return p .. "?" .. q
	end
	return p
end

local function auth(txn, url)
	-- Fail closed whatever happens below: 0 is no 2xx.
	txn:set_var("txn.tkt_status", 0)
	txn:unset_var("txn.tkt_location")
	txn:unset_var("txn.tkt_set_cookie")
	-- Every spelling an application could read as the same variable:
	-- CGI, PHP and WSGI map Remote_User and Remote-User both to
	-- HTTP_REMOTE_USER.
	for _, h in ipairs(identity) do
		txn.http:req_del_header(h)
		txn.http:req_del_header((string.gsub(h, "-", "_")))
	end

	local req = lower(txn.http:req_get_headers())
	local headers = {}
	for _, h in ipairs(forwarded) do
		local v = values(req, h)
		if #v > 0 then
			headers[h] = v
		end
	end
	-- Boolean fetches come back as the integers 0 and 1, and 0 is true
	-- in Lua.
	local proto = "http"
	local tls = txn.f:ssl_fc()
	if tls == 1 or tls == true then
		proto = "https"
	end
	headers["x-forwarded-method"] = { txn.sf:method() }
	headers["x-forwarded-proto"] = { proto }
	headers["x-forwarded-host"] = values(req, "host")
	headers["x-forwarded-uri"] = { uri(txn) }
	headers["x-forwarded-for"] = { txn.sf:src() }

	local ok, res = pcall(function()
		return core.httpclient():get { url = url, headers = headers, timeout = timeout_ms }
	end)
	if not ok then
		txn:Warning("tkt-auth: " .. url .. ": " .. tostring(res))
		return
	end
	if res == nil or type(res.status) ~= "number" or res.status == 0 then
		txn:Warning("tkt-auth: " .. url .. ": no response")
		return
	end

	local got = lower(res.headers)
	local loc = values(got, "location")[1]
	if loc ~= nil then
		txn:set_var("txn.tkt_location", loc)
	end
	local cookie = values(got, "set-cookie")[1]
	if cookie ~= nil then
		txn:set_var("txn.tkt_set_cookie", cookie)
	end
	if res.status >= 200 and res.status < 300 then
		for _, h in ipairs(identity) do
			for _, v in ipairs(values(got, string.lower(h))) do
				txn.http:req_add_header(h, v)
			end
		end
		-- A password (HTTP Basic) or a bearer ticket that tktd took is not
		-- the application's to see. Set tkt_keep_authorization to 1 for
		-- an application that reads Authorization itself.
		local auth = values(req, "authorization")[1]
		if auth ~= nil and txn:get_var("txn.tkt_keep_authorization") == nil then
			local scheme = string.lower(string.match(auth, "^%s*(%S+)") or "")
			if scheme == "basic" or scheme == "bearer" then
				txn.http:req_del_header("Authorization")
			end
		end
	end
	-- Last, so that a failure above leaves the request failing closed.
	txn:set_var("txn.tkt_status", res.status)
end

core.register_action("tkt-auth", { "http-req" }, auth, 1)
