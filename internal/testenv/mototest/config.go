package mototest

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
)

// Config returns an AWS configuration for the server, with test
// credentials: moto.Server's, whose clients retry a failed call once, but
// without the pause between attempts. The standard retryer waits up to a
// second or two (at random) before a retry, which serves nothing against a
// server on this machine and makes each call to an endpoint that is down
// (Down, Hanging, Switchable) take that long.
func (s *Server) Config() aws.Config {
	cfg := s.Server.Config()
	cfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
		})
	}
	return cfg
}
