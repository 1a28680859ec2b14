// The -redis flag: the tracker's conferences and the Handler's nonces in
// Redis, shared with every other dashboard (or replica) on it.

package main

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vobizhook/vobizhook/redisstore"
)

// openRedis connects to the Redis at rawURL and returns the store on it,
// and a func that closes the connection. Errors never repeat the URL,
// which may carry a password.
func openRedis(ctx context.Context, rawURL string, logger *slog.Logger) (*redisstore.Store, func() error, error) {
	opt, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, nil, errors.New("-redis: not a redis:// or rediss:// URL")
	}
	// Deadlines from contexts, and short: a callback must be answered
	// within Vobiz's 3 s whatever Redis does.
	opt.ContextTimeoutEnabled = true
	opt.DialTimeout, opt.ReadTimeout, opt.WriteTimeout = time.Second, time.Second, time.Second
	rdb := redis.NewClient(opt)
	pingCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := rdb.Ping(pingCtx).Err(); err != nil {
		rdb.Close()
		return nil, nil, errors.New("-redis: Redis at " + opt.Addr + " does not answer: " + err.Error())
	}
	logger.Info("state shared in Redis", "redis", opt.Addr, "db", opt.DB)
	return redisstore.New(rdb, redisstore.Options{Logger: logger}), rdb.Close, nil
}
