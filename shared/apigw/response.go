package apigw

// Response is a proxy integration response. Its fields are common to
// payload formats 1.0 and 2.0, so one type answers both.
type Response struct {
	StatusCode      int               `json:"statusCode"`
	Headers         map[string]string `json:"headers,omitempty"`
	Body            string            `json:"body"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`
}
