import Redis

/// The limiter's one Redis round trip: GCRA (the generic cell rate algorithm) in a Lua script.
///
/// Per API key Redis keeps one number, the theoretical arrival time (TAT) of the next request in
/// microseconds of the server's own clock (`TIME`), so every `ledgerd` shares one limit and no
/// clock but Redis's matters. A request is allowed when `TAT + interval − burst × interval ≤ now`,
/// and then the TAT moves on by one interval. The key expires when the bucket is full again,
/// so idle keys cost no memory. The script runs atomically: two instances cannot both take the
/// last request.
enum RateLimitScript {
    /// KEYS[1]: the API key's state. ARGV[1]: requests per second. ARGV[2]: burst.
    /// Returns {allowed (1 or 0), remaining, retry after in µs, reset in µs}.
    static let gcra = RedisScript(
        """
        local rate = tonumber(ARGV[1])
        local burst = tonumber(ARGV[2])
        local time = redis.call('TIME')
        local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
        local interval = math.ceil(1000000 / rate)
        local window = interval * burst
        local tat = tonumber(redis.call('GET', KEYS[1]) or now) or now
        if tat < now then tat = now end
        local next_tat = tat + interval
        local allow_at = next_tat - window
        if allow_at > now then
          return {0, 0, allow_at - now, tat - now}
        end
        redis.call('SET', KEYS[1], string.format('%.0f', next_tat), 'PX', math.ceil((next_tat - now) / 1000) + 1)
        return {1, math.floor((now - allow_at) / interval), 0, next_tat - now}
        """
    )
}
