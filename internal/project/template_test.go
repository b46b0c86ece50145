package project_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/webhookguard/webhookguard/shared/webhook"
)

// webhookFunctions are the provider functions, which take requests.
var webhookFunctions = []string{"WebexFunction", "QiscusFunction", "SignalWireFunction"}

// role returns the logical id of a function's execution role.
func (s *stack) role(t *testing.T, fn string) string {
	t.Helper()
	f, ok := s.Resources[fn]
	if !ok {
		t.Fatalf("no function %s", fn)
	}
	id, ok := strings.CutSuffix(ref(f.Properties["Role"]), ".Arn")
	if !ok {
		t.Fatalf("%s: Role %v is not a role of the stack", fn, f.Properties["Role"])
	}
	return id
}

func (s *stack) env(t *testing.T, fn string) map[string]any {
	t.Helper()
	f, ok := s.Resources[fn]
	if !ok {
		t.Fatalf("no function %s", fn)
	}
	vars, _ := dig(f.Properties, "Environment", "Variables").(map[string]any)
	return vars
}

const viaSecretsManager = ` if {"StringEquals":{"kms:ViaService":"secretsmanager.us-east-1.amazonaws.com"}}`

func TestEachFunctionMayDoOnlyWhatItNeeds(t *testing.T) {
	t.Parallel()
	queue := "SendToQueue: sqs:SendMessage on EventsQueue.Arn"
	table := "RecordRequests: dynamodb:UpdateItem on ReplayTable.Arn"
	kms := "DecryptSecrets: kms:Decrypt on " + keyARN + viaSecretsManager
	list := "ListSourceSecrets: secretsmanager:ListSecrets on *"
	read := func(arn string) string { return "ReadSigningSecret: secretsmanager:GetSecretValue on " + arn }
	prefix := func(p string) string {
		return read("arn:aws:secretsmanager:us-east-1:123456789012:secret:webhookguard/" + p + "/*")
	}
	basic := "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
	xray := "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess"
	for _, tc := range []struct {
		name       string
		deployment string
		roles      map[string][]string // function: its statements
		managed    []string
	}{
		{
			name:       "gives each function its own secret, the queue and the replay table",
			deployment: "three secrets",
			roles: map[string][]string{
				"WebexFunction":      {read(webexARN), table, queue},
				"QiscusFunction":     {read(qiscusARN), table, queue},
				"SignalWireFunction": {read(signalwireARN), table, queue},
			},
			managed: []string{basic},
		},
		{
			name:       "gives per-source secrets by prefix, the created bus, the answer function and the key",
			deployment: "prefixes and a new bus",
			roles: map[string][]string{
				"WebexFunction":  {kms, list, "PutOnBus: events:PutEvents on EventBus.Arn", prefix("webex")},
				"QiscusFunction": {kms, list, "PutOnBus: events:PutEvents on EventBus.Arn", prefix("qiscus")},
				"SignalWireFunction": {kms, "InvokeAnswerFunction: lambda:InvokeFunction on " + answerARN, list,
					"PutOnBus: events:PutEvents on EventBus.Arn", prefix("signalwire")},
			},
			managed: []string{basic, xray},
		},
		{
			name:       "gives Webex its bot token, the existing bus, and rotation and health their secrets only",
			deployment: "webex automation",
			roles: map[string][]string{
				"WebexFunction": {kms, "PutOnBus: events:PutEvents on arn:aws:events:us-east-1:123456789012:event-bus/orders",
					"ReadBotToken: secretsmanager:GetSecretValue on " + tokenARN, read(webexARN), table, queue},
				"WebexRotationFunction": {
					"ReadBotToken: secretsmanager:GetSecretValue on " + tokenARN,
					"RotateWebexSecret: secretsmanager:DescribeSecret, secretsmanager:GetSecretValue, secretsmanager:PutSecretValue, secretsmanager:UpdateSecretVersionStage on " + webexARN,
					"UseSecretsKey: kms:Decrypt, kms:GenerateDataKey on " + keyARN + viaSecretsManager,
				},
				"WebexHealthFunction": {kms, "ReadBotToken: secretsmanager:GetSecretValue on " + tokenARN},
			},
			managed: []string{basic},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := deploy(t, tc.deployment)
			var wantRoles []string
			for fn, want := range tc.roles {
				role := s.role(t, fn)
				wantRoles = append(wantRoles, role)
				if got := s.statements(t, role); !slices.Equal(got, want) {
					t.Errorf("%s may:\n  %s\nwant:\n  %s", fn, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
				}
				var managed []string
				for _, m := range asList(s.Resources[role].Properties["ManagedPolicyArns"]) {
					managed = append(managed, str(m))
				}
				if !slices.Equal(managed, tc.managed) {
					t.Errorf("%s: managed policies %v, want %v", fn, managed, tc.managed)
				}
			}
			slices.Sort(wantRoles)
			if got := s.ofType("AWS::IAM::Role"); !slices.Equal(got, wantRoles) {
				t.Errorf("roles %v, want %v", got, wantRoles)
			}
		})
	}
}

func TestFunctionsGetTheirSettings(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		deployment string
		fn         string
		want       map[string]string // variable: value ("Ref X" for a resource)
	}{
		{"Webex reads one secret and hands events to the queue, once", "three secrets", "WebexFunction", map[string]string{
			"SECRET_ID": webexARN, "QUEUE_URL": "Ref EventsQueue", "EVENT_BUS_NAME": "", "DEDUP_TABLE": "Ref ReplayTable",
			"DEDUP_WINDOW": "7d", "MAX_BODY_BYTES": "737280", "REQUEST_TIMEOUT": "4s", "SECRETS_TTL": "5m",
			"SECRETS_MIN_REFRESH": "30s", "AWS_ENDPOINT_URL": "", "WEBEX_BOT_TOKEN_SECRET_ID": "", "WEBEX_API_URL": "",
		}},
		{"a prefix puts {source} in the secret id", "prefixes and a new bus", "QiscusFunction", map[string]string{
			"SECRET_ID": "webhookguard/qiscus/{source}", "QUEUE_URL": "", "EVENT_BUS_NAME": "Ref EventBus", "DEDUP_TABLE": "",
		}},
		{"SignalWire invokes the answer function within 3 s", "prefixes and a new bus", "SignalWireFunction", map[string]string{
			"SECRET_ID": "webhookguard/signalwire/{source}", "ANSWER_FUNCTION": answerARN, "ANSWER_TIMEOUT": "3s", "PUBLIC_URL": "",
		}},
		{"an existing bus is named", "webex automation", "WebexFunction", map[string]string{
			"EVENT_BUS_NAME": "orders", "WEBEX_BOT_TOKEN_SECRET_ID": tokenARN,
		}},
		{"rotation updates the webhooks of the custom domain's URL", "webex automation", "WebexRotationFunction", map[string]string{
			"WEBHOOK_URL": "https://hooks.example.com/webex", "WEBEX_BOT_TOKEN_SECRET_ID": tokenARN,
			"SECRETS_TTL": "5m", "WEBEX_API_URL": "",
		}},
		{"the health check watches the custom domain's URL", "webex automation", "WebexHealthFunction", map[string]string{
			"WEBHOOK_URL": "https://hooks.example.com/webex", "WEBEX_BOT_TOKEN_SECRET_ID": tokenARN,
		}},
		{"SignalWire gets the public URL with its credentials and {source}", "signalwire public url", "SignalWireFunction", map[string]string{
			"PUBLIC_URL": "https://user:pa55@hooks.example.com/sw/{source}", "SECRET_ID": signalwireARN,
			"SIGNALWIRE_CXML_RESPONSE": `<?xml version="1.0"?><Response><Say>hi</Say></Response>`, "ANSWER_FUNCTION": "",
		}},
		{"none at the NoEcho prompt leaves the public URL unset", "signalwire none", "SignalWireFunction", map[string]string{
			"PUBLIC_URL": "",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := deploy(t, tc.deployment).env(t, tc.fn)
			if v, ok := env["ROTATION_WAIT"]; ok {
				t.Errorf("ROTATION_WAIT=%v: left unset, it follows SECRETS_TTL (+ 1 min)", v)
			}
			for name, want := range tc.want {
				v, ok := env[name]
				if !ok {
					t.Errorf("%s does not declare %s", tc.fn, name)
				} else if got := ref(v); got != want {
					t.Errorf("%s=%q, want %q", name, got, want)
				}
			}
		})
	}
}

func TestFunctionTimeoutsFitTheirWork(t *testing.T) {
	t.Parallel()
	s := deploy(t, "webex automation")
	sw := deploy(t, "three secrets").Resources["SignalWireFunction"]
	for _, tc := range []struct {
		fn   string
		got  any
		want string
	}{
		// REQUEST_TIMEOUT 4 s inside SignalWire's 5 s, plus a cold start.
		{"SignalWireFunction", sw.Properties["Timeout"], "6"},
		// setSecret waits SECRETS_TTL + 1 min before it updates Webex.
		{"WebexRotationFunction", s.Resources["WebexRotationFunction"].Properties["Timeout"], "900"},
	} {
		if str(tc.got) != tc.want {
			t.Errorf("%s: Timeout %v, want %s", tc.fn, tc.got, tc.want)
		}
	}
}

func TestRotationScheduleAndHealthCheck(t *testing.T) {
	t.Parallel()
	s := deploy(t, "webex automation")
	sched := s.Resources["WebexRotationSchedule"]
	if sched.Type != "AWS::SecretsManager::RotationSchedule" || str(sched.Properties["SecretId"]) != webexARN ||
		ref(sched.Properties["RotationLambdaARN"]) != "WebexRotationFunction.Arn" ||
		str(dig(sched.Properties, "RotationRules", "AutomaticallyAfterDays")) != "30" ||
		sched.Properties["RotateImmediatelyOnUpdate"] != false {
		t.Errorf("rotation schedule %+v", sched)
	}
	perm := s.Resources["WebexRotationPermission"].Properties
	if str(perm["Principal"]) != "secretsmanager.amazonaws.com" || str(perm["Action"]) != "lambda:InvokeFunction" ||
		ref(perm["FunctionName"]) != "WebexRotationFunction.Arn" || str(perm["SourceAccount"]) != "123456789012" {
		t.Errorf("rotation permission %v", perm)
	}
	var rules []string
	for _, id := range s.ofType("AWS::Events::Rule") {
		r := s.Resources[id].Properties
		rules = append(rules, str(r["ScheduleExpression"])+" -> "+ref(dig(r, "Targets", 0, "Arn")))
	}
	if want := []string{"rate(15 minutes) -> WebexHealthFunction.Arn"}; !slices.Equal(rules, want) {
		t.Errorf("schedules %v, want %v", rules, want)
	}
	for _, name := range []string{"three secrets", "prefixes and a new bus"} {
		for _, id := range []string{"WebexRotationFunction", "WebexHealthFunction", "WebexRotationSchedule"} {
			if _, ok := deploy(t, name).Resources[id]; ok {
				t.Errorf("%s: %s exists, but rotation and health are off by default", name, id)
			}
		}
	}
}

// emfSets are the dimension sets the functions publish (EMF): an alarm
// must name one of them exactly, or it watches a metric nobody writes.
var emfSets = map[string][]string{
	"requests":             {"outcome,provider", "outcome,provider,reason", "keyStage,provider", "outcome,provider,source"},
	"webhookReactivations": {"provider"},
}

func alarmLines(t *testing.T, s *stack, actions string) []string {
	t.Helper()
	var out []string
	for _, id := range s.ofType("AWS::CloudWatch::Alarm") {
		p := s.Resources[id].Properties
		var dims, names []string
		for _, d := range asList(p["Dimensions"]) {
			dims = append(dims, str(dig(d, "Name"))+"="+ref(dig(d, "Value")))
			names = append(names, str(dig(d, "Name")))
		}
		slices.Sort(dims)
		slices.Sort(names)
		if str(p["Namespace"]) == "Webhookguard" && !slices.Contains(emfSets[str(p["MetricName"])], strings.Join(names, ",")) {
			t.Errorf("%s: dimensions %v are not a set the functions publish for %s", id, names, p["MetricName"])
		}
		for _, k := range []string{"AlarmActions", "OKActions"} {
			if got := str(p[k]); got != actions {
				t.Errorf("%s: %s %s, want %s", id, k, got, actions)
			}
		}
		if str(p["TreatMissingData"]) != "notBreaching" {
			t.Errorf("%s: TreatMissingData %v: alarms on rare events must stay OK without data", id, p["TreatMissingData"])
		}
		out = append(out, fmt.Sprintf("%s: %s/%s %s %s/%ss %s %s", id, str(p["Namespace"]), str(p["MetricName"]),
			strings.Join(dims, ","), str(p["Statistic"]), str(p["Period"]), str(p["ComparisonOperator"]), str(p["Threshold"])))
	}
	return out
}

func TestAlarmsWatchWhatOperatorsMustKnow(t *testing.T) {
	t.Parallel()
	perProvider := func(fn, p string) []string {
		return []string{
			fmt.Sprintf("%sErrorsAlarm: AWS/Lambda/Errors FunctionName=Ref %s Sum/300s GreaterThanThreshold 0", fn, fn+"Function"),
			fmt.Sprintf("%sFailedAlarm: Webhookguard/requests outcome=failed,provider=%s Sum/300s GreaterThanThreshold 0", fn, p),
			fmt.Sprintf("%sNoKeyMatchedAlarm: Webhookguard/requests outcome=rejected,provider=%s,reason=no_key_matched Sum/300s GreaterThanOrEqualToThreshold 20", fn, p),
			fmt.Sprintf("%sThrottlesAlarm: AWS/Lambda/Throttles FunctionName=Ref %s Sum/300s GreaterThanThreshold 0", fn, fn+"Function"),
		}
	}
	queues := []string{
		"DeadLetterQueueAlarm: AWS/SQS/ApproximateNumberOfMessagesVisible QueueName=EventsDeadLetterQueue.QueueName Maximum/300s GreaterThanThreshold 0",
		"QueueAgeAlarm: AWS/SQS/ApproximateAgeOfOldestMessage QueueName=EventsQueue.QueueName Maximum/300s GreaterThanOrEqualToThreshold 900",
	}
	for _, tc := range []struct {
		name       string
		deployment string
		actions    string
		want       [][]string
	}{
		{"alarms on every function and on the queues, without notifications", "three secrets", "",
			[][]string{queues, perProvider("Qiscus", "qiscus"), perProvider("SignalWire", "signalwire"), perProvider("Webex", "webex")}},
		{"notifies the topic; no queue alarms without the queue", "prefixes and a new bus", `["` + topicARN + `"]`,
			[][]string{perProvider("Qiscus", "qiscus"), perProvider("SignalWire", "signalwire"), perProvider("Webex", "webex")}},
		{"alarms on Webex webhook reactivations and on rotation and health failures", "webex automation", "",
			[][]string{queues, perProvider("Webex", "webex"), {
				"WebexHealthErrorsAlarm: AWS/Lambda/Errors FunctionName=Ref WebexHealthFunction Sum/300s GreaterThanThreshold 0",
				"WebexReactivationsAlarm: Webhookguard/webhookReactivations provider=webex Sum/300s GreaterThanThreshold 0",
				"WebexRotationErrorsAlarm: AWS/Lambda/Errors FunctionName=Ref WebexRotationFunction Sum/300s GreaterThanThreshold 0",
			}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := deploy(t, tc.deployment)
			got := alarmLines(t, s, tc.actions)
			want := slices.Concat(tc.want...)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("alarms:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
			}
		})
	}
}

func TestApiThrottlesLogsAndServesTheRoutes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name                   string
		deployment             string
		rate, burst, retention string
		routes                 []string
		disabled               bool
		url                    string
	}{
		{"serves every provider's routes on execute-api", "three secrets", "100", "200", "30",
			[]string{"POST /qiscus", "POST /qiscus/{source}", "POST /signalwire", "POST /signalwire/{source}", "POST /webex", "POST /webex/{source}"},
			false, "https://${WebhookApi}.execute-api.us-east-1.amazonaws.com/webex"},
		{"takes its limits and retention from the parameters", "prefixes and a new bus", "25", "50", "90",
			[]string{"POST /qiscus", "POST /qiscus/{source}", "POST /signalwire", "POST /signalwire/{source}", "POST /webex", "POST /webex/{source}"},
			false, "https://${WebhookApi}.execute-api.us-east-1.amazonaws.com/webex"},
		{"serves only Webex, on its custom domain alone", "webex automation", "100", "200", "30",
			[]string{"POST /webex", "POST /webex/{source}"}, true, "https://hooks.example.com/webex"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := deploy(t, tc.deployment)
			stage := s.Resources["WebhookApiApiGatewayDefaultStage"].Properties
			if got := fmt.Sprint(stage["DefaultRouteSettings"]); got != fmt.Sprintf("map[ThrottlingBurstLimit:%s ThrottlingRateLimit:%s]", tc.burst, tc.rate) {
				t.Errorf("DefaultRouteSettings %s, want rate %s burst %s", got, tc.rate, tc.burst)
			}
			logs := ref(dig(stage, "AccessLogSettings", "DestinationArn"))
			group, ok := strings.CutSuffix(logs, ".Arn")
			if !ok || s.Resources[group].Type != "AWS::Logs::LogGroup" || str(s.Resources[group].Properties["RetentionInDays"]) != tc.retention {
				t.Errorf("access logs go to %s (%+v), want a log group kept %s days", logs, s.Resources[group], tc.retention)
			}
			format := str(dig(stage, "AccessLogSettings", "Format"))
			var fields map[string]string
			if err := json.Unmarshal([]byte(format), &fields); err != nil {
				t.Errorf("access log format is not one JSON object: %v", err)
			}
			for _, v := range []string{"$context.identity.sourceIp", "$context.status", "$context.responseLatency", "$context.integrationLatency", "$context.requestId", "$context.routeKey"} {
				if !slices.Contains(slices.Collect(mapValues(fields)), v) {
					t.Errorf("access logs lack %s", v)
				}
			}
			body := s.Resources["WebhookApi"].Properties["Body"]
			var routes []string
			for path, item := range dig(body, "paths").(map[string]any) {
				for method, op := range item.(map[string]any) {
					uri := str(dig(op, "x-amazon-apigateway-integration", "uri"))
					if !strings.Contains(uri, "Function.Arn}/invocations") {
						t.Errorf("%s %s: integration %s", method, path, uri)
					}
					routes = append(routes, strings.ToUpper(method)+" "+path)
				}
			}
			slices.Sort(routes)
			if !slices.Equal(routes, tc.routes) {
				t.Errorf("routes %v, want %v", routes, tc.routes)
			}
			if got := dig(body, "servers", 0, "x-amazon-apigateway-endpoint-configuration", "disableExecuteApiEndpoint"); got != tc.disabled {
				t.Errorf("disableExecuteApiEndpoint %v, want %v", got, tc.disabled)
			}
			_, hasDomain := s.Resources["CustomDomain"]
			if hasDomain != tc.disabled {
				t.Errorf("custom domain created: %v", hasDomain)
			}
			if hasDomain {
				d := s.Resources["CustomDomain"].Properties
				if str(d["DomainName"]) != "hooks.example.com" || str(dig(d, "DomainNameConfigurations", 0, "CertificateArn")) != certARN ||
					str(dig(d, "DomainNameConfigurations", 0, "EndpointType")) != "REGIONAL" {
					t.Errorf("custom domain %v", d)
				}
				m := s.Resources["CustomDomainMapping"].Properties
				if ref(m["ApiId"]) != "Ref WebhookApi" || ref(m["DomainName"]) != "Ref CustomDomain" || str(m["Stage"]) != "$default" {
					t.Errorf("API mapping %v", m)
				}
			}
			if got := str(s.Outputs["WebexWebhookUrl"]); got != tc.url {
				t.Errorf("WebexWebhookUrl %q, want %q", got, tc.url)
			}
		})
	}
}

func mapValues(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for _, v := range m {
			if !yield(v) {
				return
			}
		}
	}
}

func TestReservedConcurrencyCapsEachWebhookFunction(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		deployment string
		want       any
	}{
		{"reserves 50 by default", "three secrets", "50"},
		{"reserves nothing with 0", "prefixes and a new bus", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := deploy(t, tc.deployment)
			for _, fn := range webhookFunctions {
				if got := s.Resources[fn].Properties["ReservedConcurrentExecutions"]; got != tc.want {
					t.Errorf("%s: ReservedConcurrentExecutions %v, want %v", fn, got, tc.want)
				}
			}
		})
	}
	s := deploy(t, "webex automation")
	for _, fn := range []string{"WebexRotationFunction", "WebexHealthFunction"} {
		if got, ok := s.Resources[fn].Properties["ReservedConcurrentExecutions"]; ok {
			t.Errorf("%s reserves %v; only the webhook functions need a cap", fn, got)
		}
	}
}

func TestEveryFunctionLogsJSONToAGroupWithRetention(t *testing.T) {
	t.Parallel()
	for name, retention := range map[string]string{"three secrets": "30", "prefixes and a new bus": "90", "webex automation": "30"} {
		s := deploy(t, name)
		fns := s.ofType("AWS::Lambda::Function")
		if len(fns) == 0 {
			t.Fatalf("%s: no functions", name)
		}
		used := map[string]bool{}
		for _, fn := range fns {
			lc, _ := s.Resources[fn].Properties["LoggingConfig"].(map[string]any)
			group, _ := strings.CutPrefix(ref(lc["LogGroup"]), "Ref ")
			g, ok := s.Resources[group]
			if !ok || g.Type != "AWS::Logs::LogGroup" || str(g.Properties["RetentionInDays"]) != retention {
				t.Errorf("%s %s: logs to %v (%+v), want a log group of the stack kept %s days", name, fn, lc["LogGroup"], g, retention)
			}
			used[group] = true
			if str(lc["LogFormat"]) != "JSON" || str(lc["ApplicationLogLevel"]) != "INFO" {
				t.Errorf("%s %s: LoggingConfig %v", name, fn, lc)
			}
		}
		for _, g := range s.ofType("AWS::Logs::LogGroup") {
			if str(s.Resources[g].Properties["RetentionInDays"]) != retention {
				t.Errorf("%s: log group %s kept %v days, want %s", name, g, s.Resources[g].Properties["RetentionInDays"], retention)
			}
			if !used[g] && g != "ApiAccessLogGroup" {
				t.Errorf("%s: log group %s serves no function", name, g)
			}
		}
	}
}

func TestQueuesAndTableSurviveTheStack(t *testing.T) {
	t.Parallel()
	s := deploy(t, "three secrets")
	for _, id := range slices.Concat(s.ofType("AWS::SQS::Queue"), s.ofType("AWS::DynamoDB::Table")) {
		if r := s.Resources[id]; r.DeletionPolicy != "Retain" || r.UpdateReplacePolicy != "Retain" {
			t.Errorf("%s: DeletionPolicy %q, UpdateReplacePolicy %q, want Retain for both", id, r.DeletionPolicy, r.UpdateReplacePolicy)
		}
	}
	if got := s.ofType("AWS::SQS::Queue"); !slices.Equal(got, []string{"EventsDeadLetterQueue", "EventsQueue"}) {
		t.Fatalf("queues %v", got)
	}
	main, dlq := s.Resources["EventsQueue"].Properties, s.Resources["EventsDeadLetterQueue"].Properties
	mainKeep, _ := strconv.Atoi(str(main["MessageRetentionPeriod"]))
	dlqKeep, _ := strconv.Atoi(str(dlq["MessageRetentionPeriod"]))
	if mainKeep == 0 || mainKeep >= dlqKeep {
		t.Errorf("the events queue keeps messages %v s, the dead-letter queue %v s: a message must outlive its move to the dead-letter queue",
			main["MessageRetentionPeriod"], dlq["MessageRetentionPeriod"])
	}
	if ref(dig(main, "RedrivePolicy", "deadLetterTargetArn")) != "EventsDeadLetterQueue.Arn" {
		t.Errorf("redrive policy %v", main["RedrivePolicy"])
	}
	table := s.Resources["ReplayTable"].Properties
	for _, c := range []struct{ got, want string }{
		{str(table["BillingMode"]), "PAY_PER_REQUEST"},
		{str(table["KeySchema"]), `[{"AttributeName":"id","KeyType":"HASH"}]`},
		{str(table["AttributeDefinitions"]), `[{"AttributeName":"id","AttributeType":"S"}]`},
		{str(table["TimeToLiveSpecification"]), `{"AttributeName":"expiresAt","Enabled":true}`},
	} {
		if c.got != c.want {
			t.Errorf("replay table: %s, want %s", c.got, c.want)
		}
	}
	for _, id := range []string{"ReplayTable", "EventsQueue"} {
		if _, ok := deploy(t, "prefixes and a new bus").Resources[id]; ok {
			t.Errorf("%s exists with its parameter off", id)
		}
	}
}

func TestAProviderWithoutASecretIsNotDeployed(t *testing.T) {
	t.Parallel()
	s := deploy(t, "webex automation")
	for id := range s.Resources {
		if strings.Contains(id, "Qiscus") || strings.Contains(id, "SignalWire") {
			t.Errorf("%s exists, but Qiscus and SignalWire have no secret", id)
		}
	}
	for id := range s.Outputs {
		if strings.Contains(id, "Qiscus") || strings.Contains(id, "SignalWire") {
			t.Errorf("output %s exists", id)
		}
	}
}

func TestParametersCannotBeWrong(t *testing.T) {
	t.Parallel()
	s := deploy(t, "three secrets")
	p := func(name string) map[string]any {
		d, ok := s.Parameters[name]
		if !ok {
			t.Fatalf("no parameter %s", name)
		}
		return d
	}
	for name := range s.Parameters {
		// SecretsKmsKeyArn names a key, not a secret.
		if strings.Contains(name, "Secret") && !strings.HasPrefix(name, "Secrets") && !strings.HasSuffix(name, "SecretArn") && !strings.HasSuffix(name, "SecretPrefix") {
			t.Errorf("%s names a secret but is neither a full ARN nor a name prefix", name)
		}
		if pat, ok := s.Parameters[name]["AllowedPattern"].(string); ok && (!strings.HasPrefix(pat, "^") || !strings.HasSuffix(pat, "$")) {
			t.Errorf("%s: AllowedPattern %q is not anchored at both ends", name, pat)
		}
	}
	type check struct {
		value string
		ok    bool
	}
	secretARN := []check{
		{webexARN, true},
		{"arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:bots/acme_1.x+y=z@w-a1B2c3", true},
		{"", true},
		{"arn:aws:secretsmanager:us-east-1:123456789012:secret:webhookguard/webex", false},         // no suffix
		{"arn:aws:secretsmanager:us-east-1:123456789012:secret:webhookguard/webex-AbCdE", false},   // 5 characters
		{"arn:aws:secretsmanager:us-east-1:123456789012:secret:webhookguard/webex-AbCdEf/", false}, // not the end
		{"arn:aws:secretsmanager:us-east-1:123456789012:secret:webhookguard/webex-AbCdEf ", false},
		{"webhookguard/webex", false},
		{"webhookguard/webex-AbCdEf", false},
		{"arn:aws:ssm:us-east-1:123456789012:parameter/webhookguard/webex-AbCdEf", false},
		{"arn:aws:secretsmanager:us-east-1:12345678901:secret:webhookguard/webex-AbCdEf", false},
	}
	prefix := []check{{"", true}, {"webhookguard/webex/", true}, {"bots/", true}, {"webhookguard/webex", false}, {webexARN, false}, {"a b/", false}}
	cases := map[string][]check{
		"WebexSecretArn": secretARN, "QiscusSecretArn": secretARN, "SignalWireSecretArn": secretARN, "WebexBotTokenSecretArn": secretARN,
		"WebexSecretPrefix": prefix, "QiscusSecretPrefix": prefix, "SignalWireSecretPrefix": prefix,
		"SecretsKmsKeyArn": {{"", true}, {keyARN, true}, {"arn:aws:kms:us-east-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab", true},
			{"arn:aws:kms:us-east-1:123456789012:alias/webhookguard", false}, {"alias/aws/secretsmanager", false}, {"1234abcd-12ab-34cd-56ef-1234567890ab", false}},
		"SignalWireAnswerFunctionArn": {{"", true}, {answerARN, true}, {answerARN + ":live", true}, {"phone-menu", false}},
		"SignalWirePublicUrl": {{"", true}, {"none", true}, {"https://user:pass@hooks.example.com/signalwire?x=1", true},
			{"hooks.example.com/signalwire", false}, {"https://hooks.example.com/a b", false}},
		"AlarmTopicArn":    {{"", true}, {topicARN, true}, {"webhookguard-alarms", false}},
		"DomainName":       {{"", true}, {"hooks.example.com", true}, {"https://hooks.example.com", false}, {"Hooks.Example.com", false}},
		"CertificateArn":   {{"", true}, {certARN, true}, {"arn:aws:acm:us-east-1:123456789012:certificate/x", false}},
		"ReplayWindow":     {{"7d", true}, {"48h", true}, {"1h30m", true}, {"", false}, {"7 days", false}},
		"WebexMaxEventAge": {{"", true}, {"15m", true}, {"1w", false}},
		"EventBusName":     {{"", true}, {"orders", true}, {"arn:aws:events:us-east-1:123456789012:event-bus/orders", false}},
		"LogLevel":         {{"TRACE", true}, {"DEBUG", true}, {"INFO", true}, {"WARN", true}, {"ERROR", true}, {"FATAL", true}, {"info", false}},
		"LogRetentionDays": {{"30", true}, {"731", true}, {"31", false}},
		"MaxBodyBytes":     {{fmt.Sprint(webhook.MaxBodyBytesLimit), true}, {fmt.Sprint(webhook.MaxBodyBytesLimit + 1), false}},
	}
	for name, checks := range cases {
		for _, c := range checks {
			err := checkParameter(name, p(name), c.value)
			if (err == nil) != c.ok {
				t.Errorf("%s=%q: accepted %v, want %v (%v)", name, c.value, err == nil, c.ok, err)
			}
		}
	}
	if got := str(p("MaxBodyBytes")["Default"]); got != fmt.Sprint(webhook.MaxBodyBytesLimit) {
		t.Errorf("MaxBodyBytes default %s, want webhook.MaxBodyBytesLimit", got)
	}
}

func TestRulesRefuseWhatCannotWork(t *testing.T) {
	t.Parallel()
	cfn := transform(t, "three secrets")
	for _, tc := range []struct {
		name   string
		params map[string]string
		fails  string // part of the failing assertion; empty: accepted
	}{
		{"refuses a stack with no provider", map[string]string{}, "at least one provider"},
		{"refuses an ARN and a prefix for one provider", map[string]string{"WebexSecretArn": webexARN, "WebexSecretPrefix": "webhookguard/webex/"}, "not both"},
		{"refuses functions with nowhere to hand events", map[string]string{"QiscusSecretArn": qiscusARN, "EnableQueue": "false"}, "somewhere to go"},
		{"accepts SignalWire with only an answer function", map[string]string{"SignalWireSecretArn": signalwireARN, "EnableQueue": "false", "SignalWireAnswerFunctionArn": answerARN}, ""},
		{"accepts an existing bus instead of the queue", map[string]string{"QiscusSecretArn": qiscusARN, "EnableQueue": "false", "EventBusName": "orders"}, ""},
		{"refuses rotation without the bot token", map[string]string{"WebexSecretArn": webexARN, "EnableWebexRotation": "true"}, "WebexBotTokenSecretArn"},
		{"refuses rotation of per-source secrets", map[string]string{"WebexSecretPrefix": "webhookguard/webex/", "WebexBotTokenSecretArn": tokenARN, "EnableWebexRotation": "true"}, "rotates the one secret"},
		{"refuses the health check without the bot token", map[string]string{"WebexSecretArn": webexARN, "EnableWebexHealth": "true"}, "needs the bot token"},
		{"refuses a custom domain without a certificate", map[string]string{"WebexSecretArn": webexARN, "DomainName": "hooks.example.com"}, "CertificateArn"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := evaluate(cfn, tc.params)
			if err != nil {
				t.Fatal(err)
			}
			got := strings.Join(s.Failed, " | ")
			if tc.fails == "" && got != "" || tc.fails != "" && !strings.Contains(got, tc.fails) {
				t.Fatalf("failed assertions %q, want one with %q", got, tc.fails)
			}
		})
	}
}

func TestSignalWirePublicURLStaysSecret(t *testing.T) {
	t.Parallel()
	s := deploy(t, "signalwire public url")
	if d := s.Parameters["SignalWirePublicUrl"]; d["NoEcho"] != true && d["NoEcho"] != "true" {
		t.Errorf("SignalWirePublicUrl is not NoEcho: it may carry basic-auth credentials")
	}
	out, _ := json.Marshal(s.Outputs)
	if strings.Contains(string(out), "pa55") {
		t.Errorf("an output shows the public URL: %s", out)
	}
	raw, _ := json.Marshal(transform(t, "three secrets")["Outputs"])
	if strings.Contains(string(raw), "SignalWirePublicUrl") {
		t.Errorf("an output refers to SignalWirePublicUrl: %s", raw)
	}
}

// reserved are the variables Lambda sets itself: a function that declares
// one fails to deploy (Lambda developer guide, "Defined runtime
// environment variables").
var reserved = []string{
	"_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV", "AWS_LAMBDA_FUNCTION_NAME",
	"AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_INITIALIZATION_TYPE",
	"AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID",
	"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
}

func TestEnvJSONSetsOnlyDeclaredVariables(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join(root, "env.json"))
	if err != nil {
		t.Fatal(err)
	}
	var envJSON map[string]map[string]string
	if err := json.Unmarshal(b, &envJSON); err != nil {
		t.Fatalf("env.json: %v", err)
	}
	if len(envJSON) == 0 {
		t.Fatal("env.json sets nothing")
	}
	s := deploy(t, "three secrets")
	for fn, vars := range envJSON {
		declared := s.env(t, fn)
		for name := range vars {
			if _, ok := declared[name]; !ok {
				t.Errorf("env.json sets %s for %s, which the template does not declare: sam local drops it", name, fn)
			}
			if slices.Contains(reserved, name) {
				t.Errorf("env.json sets %s for %s, a name Lambda reserves", name, fn)
			}
		}
	}
	for _, name := range []string{"three secrets", "prefixes and a new bus", "webex automation"} {
		s := deploy(t, name)
		for _, fn := range s.ofType("AWS::Lambda::Function") {
			for v := range s.env(t, fn) {
				if slices.Contains(reserved, v) {
					t.Errorf("%s declares %s, which Lambda reserves: the deploy would fail", fn, v)
				}
			}
		}
	}
}

// The template declares AWS_ENDPOINT_URL as "" for sam local; deployed,
// the SDK must treat the empty value as unset.
func TestTheSDKIgnoresAnEmptyEndpoint(t *testing.T) {
	for _, tc := range []struct {
		name, value string
		want        string
	}{
		{"ignores empty variables", "", ""},
		{"uses a set one", "http://127.0.0.1:5005", "http://127.0.0.1:5005"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("AWS_ENDPOINT_URL", tc.value)
			t.Setenv("AWS_ENDPOINT_URL_SQS", tc.value)
			t.Setenv("AWS_REGION", "us-east-1")
			cfg, err := config.LoadDefaultConfig(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if cfg.BaseEndpoint != nil {
				got = *cfg.BaseEndpoint
			}
			if got != tc.want {
				t.Errorf("BaseEndpoint %q, want %q", got, tc.want)
			}
			got = ""
			if e := sqs.NewFromConfig(cfg).Options().BaseEndpoint; e != nil {
				got = *e
			}
			if got != tc.want {
				t.Errorf("SQS endpoint %q, want %q", got, tc.want)
			}
		})
	}
}
