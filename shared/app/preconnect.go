package app

import (
	"context"
	"io"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// preconnectSQS opens, during init, the connection the first SQS send will
// use: its TLS handshake is the largest part of the first send's cost, and
// the first request then only writes on a ready connection. It sends a
// HEAD request to the endpoint, which SQS answers with an error (the
// request is not signed and names no action) on a connection kept for the
// next request. A failure costs nothing but the attempt: the first send
// dials as it would have.
func preconnectSQS(ctx context.Context, c *sqs.Client) {
	o := c.Options()
	ep, err := o.EndpointResolverV2.ResolveEndpoint(ctx, sqs.EndpointParameters{
		Region:       aws.String(o.Region),
		Endpoint:     o.BaseEndpoint,
		UseFIPS:      aws.Bool(o.EndpointOptions.UseFIPSEndpoint == aws.FIPSEndpointStateEnabled),
		UseDualStack: aws.Bool(o.EndpointOptions.UseDualStackEndpoint == aws.DualStackEndpointStateEnabled),
	})
	if err != nil || o.HTTPClient == nil {
		return
	}
	preconnect(ctx, o.HTTPClient, ep.URI.String())
}

// preconnect sends a HEAD request to url through client, over TLS only (a
// plain connection costs too little to open ahead), so that a connection
// to its host waits in client's pool.
func preconnect(ctx context.Context, client interface {
	Do(*http.Request) (*http.Response, error)
}, url string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, url, nil)
	if err != nil || req.URL.Scheme != "https" {
		return
	}
	if resp, err := client.Do(req); err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}
