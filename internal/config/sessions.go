package config

// Sessions turns on server-side sessions (package shared's Sessions): a
// record per login in Redis whose id the ticket carries, ended at logout
// (or with tktctl session end) on every instance within a second. Off by
// default: tickets are then stateless, as in mod_auth_tkt.
type Sessions struct {
	Enabled bool `koanf:"enabled"`
}

func (c Config) validateSessions(p *problems) {
	if !c.Sessions.Enabled {
		return
	}
	if !c.Redis.Enabled() {
		p.add("sessions.enabled", "sessions live in Redis: configure the redis section (redis.url or TKT_REDIS_URL, redis.url_file or redis.addrs)")
	}
	if c.Ticket.Timeout == 0 {
		p.add("sessions.enabled", "sessions need ticket.timeout: with tickets that never time out, session records would never expire")
	}
}
