package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/webhookguard/webhookguard/internal/devkit/sample"
	"github.com/webhookguard/webhookguard/shared/apigw"
	"github.com/webhookguard/webhookguard/shared/app"
	"github.com/webhookguard/webhookguard/shared/destination"
	"github.com/webhookguard/webhookguard/shared/provider"
	"github.com/webhookguard/webhookguard/shared/webhook"
)

// phoneMenu answers SignalWire's cXML call webhooks in process, from a
// verified event: the first request of a call is greeted and asked for one
// digit; the Gather action (posted back to the same URL, signed too)
// routes on it.
var phoneMenu = webhook.AnswerFunc(func(ctx context.Context, ev *destination.Event) (provider.Reply, error) {
	body, err := ev.Envelope.RawBody()
	if err != nil {
		return provider.Reply{}, err
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return provider.Reply{}, err
	}
	const xml = "text/xml; charset=utf-8"
	switch form.Get("Digits") {
	case "":
		return provider.Reply{ContentType: xml, Body: `<?xml version="1.0" encoding="UTF-8"?><Response>` +
			`<Gather input="dtmf" numDigits="1" timeout="5"><Say>Thanks for calling. Press 1 for sales.</Say></Gather>` +
			`<Say>We did not receive any input. Goodbye.</Say></Response>`}, nil
	case "1":
		return provider.Reply{ContentType: xml, Body: `<?xml version="1.0" encoding="UTF-8"?><Response>` +
			`<Say>Connecting you to sales.</Say><Dial><Number>+15551234567</Number></Dial></Response>`}, nil
	}
	return provider.Reply{ContentType: xml, Body: `<?xml version="1.0" encoding="UTF-8"?><Response><Say>Goodbye.</Say><Hangup/></Response>`}, nil
})

// phoneMain is the main of your own SignalWire function
// (functions/phone/main.go): the same wiring as functions/signalwire, with
// the menu as the answer. QUEUE_URL or EVENT_BUS_NAME may still be set: the
// event then goes there too, and the answer is 200 only when they took it.
func phoneMain() {
	h := app.Must(app.New(context.Background(), provider.SignalWire, os.Getenv, app.WithAnswerer(phoneMenu)))
	lambda.Start(h.Handle)
}

// oneSecret stands in for Secrets Manager, so the example runs anywhere.
type oneSecret string

func (s oneSecret) GetSecretValue(_ context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	if aws.ToString(in.VersionStage) != "AWSCURRENT" {
		return nil, &smtypes.ResourceNotFoundException{Message: aws.String("no such stage")}
	}
	return &secretsmanager.GetSecretValueOutput{SecretString: aws.String(string(s)), VersionId: aws.String("v1")}, nil
}

func Example_inProcessAnswer() {
	_ = phoneMain // deployed as a function of your own; run here through the same handler
	cfg := app.Config{SecretID: "webhookguard/signalwire"}
	h, err := app.NewHandler(context.Background(), provider.SignalWire, cfg, app.Clients{Secrets: oneSecret("PSK_signing_key")}, nil, app.WithAnswerer(phoneMenu))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, form := range []string{
		"CallSid=CA1&CallStatus=ringing&From=%2B15550001111&To=%2B15559876543",
		"CallSid=CA1&CallStatus=in-progress&From=%2B15550001111&To=%2B15559876543&Digits=1",
	} {
		ev, _ := sample.Spec{Provider: provider.SignalWire, Secret: []byte("PSK_signing_key"), URL: "https://abc123.execute-api.us-east-1.amazonaws.com/signalwire",
			ContentType: "application/x-www-form-urlencoded", Body: []byte(form)}.Event()
		raw, _ := json.Marshal(ev)
		out, _ := lambda.NewHandler(h.Handle).Invoke(context.Background(), raw)
		var resp apigw.Response
		_ = json.Unmarshal(out, &resp)
		fmt.Println(resp.StatusCode, resp.Headers["Content-Type"])
		fmt.Println(resp.Body)
	}
	// Output:
	// 200 text/xml; charset=utf-8
	// <?xml version="1.0" encoding="UTF-8"?><Response><Gather input="dtmf" numDigits="1" timeout="5"><Say>Thanks for calling. Press 1 for sales.</Say></Gather><Say>We did not receive any input. Goodbye.</Say></Response>
	// 200 text/xml; charset=utf-8
	// <?xml version="1.0" encoding="UTF-8"?><Response><Say>Connecting you to sales.</Say><Dial><Number>+15551234567</Number></Dial></Response>
}
