package project_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/webhookguard/webhookguard/internal/devkit/devenv"
	"github.com/webhookguard/webhookguard/internal/testenv/lambdaemu"
	"github.com/webhookguard/webhookguard/internal/testenv/mototest"
	"github.com/webhookguard/webhookguard/shared/apigw"
	"github.com/webhookguard/webhookguard/shared/provider"
)

// samLocalEnv is the environment `sam local invoke --env-vars env.json
// --region us-east-1` gives fn, as SAM CLI builds it
// (samcli/local/lambdafn/env_vars.py, EnvironmentVariables.resolve): its
// own AWS_* variables, then every variable the template declares, with its
// value from env.json when env.json sets it. A variable env.json sets but
// the template does not declare is dropped. SAM resolves a Ref to a
// resource to the resource's logical id, and what it cannot resolve to "".
func samLocalEnv(t *testing.T, s *stack, fn string, envJSON map[string]string) []string {
	t.Helper()
	env := []string{
		"AWS_SAM_LOCAL=true", "AWS_REGION=us-east-1", "AWS_DEFAULT_REGION=us-east-1",
		// The host's credentials, or these placeholders: moto_server takes any.
		"AWS_ACCESS_KEY_ID=defaultkey", "AWS_SECRET_ACCESS_KEY=defaultsecret",
		"AWS_LAMBDA_FUNCTION_NAME=" + fn, "AWS_LAMBDA_LOG_FORMAT=JSON", "AWS_LAMBDA_LOG_LEVEL=INFO",
	}
	for name, v := range s.env(t, fn) {
		value := ""
		switch v := v.(type) {
		case string:
			value = v
		case map[string]any:
			if id, ok := v["Ref"].(string); ok {
				value = id
			}
		}
		if o, ok := envJSON[name]; ok {
			value = o
		}
		env = append(env, name+"="+value)
	}
	return env
}

// TestSamLocalInvokeAsWritten runs what the README's "Local runs with SAM"
// runs, without Docker: each function, built from its folder, gets the
// environment sam local would give it from template.yaml and env.json,
// reaches make run's moto_server through host.docker.internal (here the
// loopback address, which --add-host host.docker.internal:host-gateway
// stands for), and answers the committed events as the README says.
func TestSamLocalInvokeAsWritten(t *testing.T) {
	t.Parallel()
	s := deploy(t, "three secrets")
	b, err := os.ReadFile(filepath.Join(root, "env.json"))
	if err != nil {
		t.Fatal(err)
	}
	var envJSON map[string]map[string]string
	if err := json.Unmarshal(b, &envJSON); err != nil {
		t.Fatal(err)
	}
	moto := mototest.Start(t)
	// What make run seeds.
	for _, p := range provider.All {
		moto.CreateSecret(t, devenv.SecretID(p.Name), devenv.Secret(p.Name))
	}
	queueURL := moto.CreateQueue(t, devenv.QueueName)
	dockerHost := "http://host.docker.internal:" + strconv.Itoa(devenv.MotoPort)
	for _, p := range provider.All {
		t.Run(p.Name, func(t *testing.T) {
			fnEnv, ok := envJSON[p.FunctionID]
			if !ok {
				t.Fatalf("env.json has nothing for %s", p.FunctionID)
			}
			env := samLocalEnv(t, s, p.FunctionID, fnEnv)
			for i, kv := range env {
				env[i] = strings.ReplaceAll(kv, dockerHost, moto.URL)
			}
			if !slices.Contains(env, "AWS_ENDPOINT_URL="+moto.URL) {
				t.Fatalf("the function would not reach moto_server: %v", env)
			}
			rt := lambdaemu.Start(t, lambdaemu.Build(t, filepath.Join(root, "functions", p.Name)), env...)
			for _, tc := range []struct {
				event  string
				status int
				queued int
			}{
				{p.Name + ".json", 200, 1},
				{p.Name + "-forged.json", 401, 0},
				{p.Name + "-rest-api.json", 200, 1},
			} {
				raw, err := os.ReadFile(filepath.Join(root, "events", tc.event))
				if err != nil {
					t.Fatal(err)
				}
				res, err := rt.Invoke(raw, 20*time.Second)
				if err != nil {
					t.Fatalf("%s: %v\n%s", tc.event, err, rt.Output())
				}
				var resp apigw.Response
				if res.Err || json.Unmarshal(res.Payload, &resp) != nil {
					t.Fatalf("%s: invocation failed: %s\n%s", tc.event, res.Payload, rt.Output())
				}
				if resp.StatusCode != tc.status {
					t.Fatalf("%s: status %d, want %d\n%s", tc.event, resp.StatusCode, tc.status, rt.Output())
				}
				if got := len(moto.Receive(t, queueURL, 10)); got != tc.queued {
					t.Fatalf("%s: %d messages queued, want %d", tc.event, got, tc.queued)
				}
			}
		})
	}
}
