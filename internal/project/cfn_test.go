package project_test

// This file turns template.yaml into the CloudFormation that AWS deploys:
// testdata/sam_transform.py runs the SAM translator (samtranslator, the
// package cfn-lint installs) offline, once for every parameter set in
// deployments; deploy then evaluates what CloudFormation evaluates at
// deploy time (parameter defaults and patterns, Rules, Conditions, Fn::If,
// AWS::NoValue, Ref to parameters, Fn::Sub) and keeps only the resources
// that would exist. The template tests assert on that result.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Sample values, in the forms AWS gives them.
const (
	webexARN      = "arn:aws:secretsmanager:us-east-1:123456789012:secret:webhookguard/webex-AbCdEf"
	qiscusARN     = "arn:aws:secretsmanager:us-east-1:123456789012:secret:webhookguard/qiscus-GhIjKl"
	signalwireARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:webhookguard/signalwire-MnOpQr"
	tokenARN      = "arn:aws:secretsmanager:us-east-1:123456789012:secret:webhookguard/webex-bot-token-StUvWx"
	answerARN     = "arn:aws:lambda:us-east-1:123456789012:function:phone-menu"
	keyARN        = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	topicARN      = "arn:aws:sns:us-east-1:123456789012:webhookguard-alarms"
	certARN       = "arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012"
)

// pseudo are the pseudo parameters of the test account.
var pseudo = map[string]string{
	"AWS::Region":    "us-east-1",
	"AWS::Partition": "aws",
	"AWS::AccountId": "123456789012",
	"AWS::StackName": "hooks",
	"AWS::URLSuffix": "amazonaws.com",
}

// deployments are the parameter sets the tests deploy, by name.
var deployments = map[string]map[string]string{
	// The README's deploy: one secret per provider, every default.
	"three secrets": {"WebexSecretArn": webexARN, "QiscusSecretArn": qiscusARN, "SignalWireSecretArn": signalwireARN},
	// Several sources per provider, EventBridge instead of SQS, every
	// option that adds a permission or a setting.
	"prefixes and a new bus": {
		"WebexSecretPrefix": "webhookguard/webex/", "QiscusSecretPrefix": "webhookguard/qiscus/",
		"SignalWireSecretPrefix": "webhookguard/signalwire/", "EnableQueue": "false", "CreateEventBus": "true",
		"EnableReplayGuard": "false", "SignalWireAnswerFunctionArn": answerARN, "SecretsKmsKeyArn": keyARN,
		"Tracing": "Active", "ReservedConcurrency": "0", "ThrottlingRateLimit": "25", "ThrottlingBurstLimit": "50",
		"LogRetentionDays": "90", "AlarmTopicArn": topicARN,
	},
	// Webex alone, with its bot token, rotation, health check, an existing
	// bus, a customer-managed key and a custom domain.
	"webex automation": {
		"WebexSecretArn": webexARN, "WebexBotTokenSecretArn": tokenARN, "EnableWebexRotation": "true",
		"EnableWebexHealth": "true", "EventBusName": "orders", "SecretsKmsKeyArn": keyARN,
		"DomainName": "hooks.example.com", "CertificateArn": certARN,
	},
	// SignalWire behind a proxy with basic auth, per source.
	"signalwire public url": {
		"SignalWireSecretArn":    signalwireARN,
		"SignalWirePublicUrl":    "https://user:pa55@hooks.example.com/sw/{source}",
		"SignalWireCxmlResponse": `<?xml version="1.0"?><Response><Say>hi</Say></Response>`,
	},
	// What sam deploy --guided makes a user type at the NoEcho prompt when
	// SignalWire calls the API's own URL.
	"signalwire none": {"SignalWireSecretArn": signalwireARN, "SignalWirePublicUrl": "none"},
}

var transformed struct {
	once    sync.Once
	skip    string
	err     error
	results map[string]map[string]any
}

// transform returns the CloudFormation the SAM translator makes of
// template.yaml with deployment name's parameters. It skips, saying why,
// where no Python has samtranslator, and fails instead under CI.
func transform(t *testing.T, name string) map[string]any {
	t.Helper()
	transformed.once.Do(func() {
		py, why := samPython()
		if py == "" {
			transformed.skip = why
			return
		}
		// Read here too, so that go test's cache knows the results
		// depend on them (it does not see what a subprocess reads).
		tpl, script := filepath.Join(root, "template.yaml"), filepath.Join("testdata", "sam_transform.py")
		for _, f := range []string{tpl, script} {
			if _, err := os.ReadFile(f); err != nil {
				transformed.err = err
				return
			}
		}
		in, _ := json.Marshal(deployments)
		cmd := exec.Command(py, script, tpl, "--batch")
		cmd.Stdin = bytes.NewReader(in)
		cmd.Env = append(os.Environ(), "AWS_DEFAULT_REGION=us-east-1", "AWS_CONFIG_FILE="+os.DevNull, "AWS_SHARED_CREDENTIALS_FILE="+os.DevNull)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			transformed.err = fmt.Errorf("%s sam_transform.py: %v\n%s", py, err, stderr.String())
			return
		}
		transformed.err = json.Unmarshal(out, &transformed.results)
	})
	if transformed.skip != "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI must run the template tests: %s", transformed.skip)
		}
		t.Skip(transformed.skip)
	}
	if transformed.err != nil {
		t.Fatal(transformed.err)
	}
	cfn, ok := transformed.results[name]
	if !ok {
		t.Fatalf("no deployment %q", name)
	}
	if msg, ok := cfn["error"].(string); ok {
		t.Fatalf("the SAM translator refused template.yaml with %q: %s", name, msg)
	}
	return cfn
}

// samPython finds a Python that can import samtranslator: the project's
// .venv (make tools), the one running cfn-lint (pipx installs it in a
// virtual environment of its own), then python3 and python on the PATH.
func samPython() (string, string) {
	var candidates []string
	if runtime.GOOS == "windows" {
		candidates = append(candidates, filepath.Join(root, ".venv", "Scripts", "python.exe"))
	} else {
		candidates = append(candidates, filepath.Join(root, ".venv", "bin", "python3"))
	}
	if lint, err := exec.LookPath("cfn-lint"); err == nil {
		if b, err := os.ReadFile(lint); err == nil {
			first, _, _ := bytes.Cut(b, []byte("\n"))
			if py, ok := strings.CutPrefix(string(first), "#!"); ok && strings.Contains(filepath.Base(strings.Fields(py + " x")[0]), "python") {
				candidates = append(candidates, strings.Fields(py)[0])
			}
		}
	}
	for _, name := range []string{"python3", "python"} {
		if p, err := exec.LookPath(name); err == nil {
			candidates = append(candidates, p)
		}
	}
	for _, py := range candidates {
		if _, err := os.Stat(py); err != nil {
			continue
		}
		// The interpreter itself, rather than a wrapper that finds it at
		// every start (a pyenv shim), runs the translator.
		if out, err := exec.Command(py, "-c", "import sys, samtranslator; print(sys.executable)").Output(); err == nil {
			if exe := strings.TrimSpace(string(out)); exe != "" {
				if _, err := os.Stat(exe); err == nil {
					py = exe
				}
			}
			if abs, err := filepath.Abs(py); err == nil {
				py = abs
			}
			return py, ""
		}
	}
	return "", "no Python with samtranslator (it comes with cfn-lint: make tools, or see the README)"
}

// stack is a deployment as CloudFormation would create it.
type stack struct {
	params     map[string]string
	conditions map[string]bool
	// Parameters is the template's parameter declarations.
	Parameters map[string]map[string]any
	// Resources holds only the resources whose condition holds, every
	// value resolved.
	Resources map[string]resource
	// Outputs holds only the outputs whose condition holds, resolved.
	Outputs map[string]any
	// Failed lists the descriptions of the Rules assertions that fail.
	Failed []string
}

type resource struct {
	Type                string
	DeletionPolicy      string
	UpdateReplacePolicy string
	Properties          map[string]any
}

// deploy evaluates deployment name as CloudFormation would, checking its
// parameters against their patterns and allowed values.
func deploy(t *testing.T, name string) *stack {
	t.Helper()
	cfn := transform(t, name)
	s, err := evaluate(cfn, deployments[name])
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if len(s.Failed) > 0 {
		t.Fatalf("%s: CloudFormation would refuse the parameters: %q", name, s.Failed)
	}
	return s
}

func evaluate(cfn map[string]any, given map[string]string) (*stack, error) {
	s := &stack{params: map[string]string{}, conditions: map[string]bool{}, Parameters: map[string]map[string]any{},
		Resources: map[string]resource{}, Outputs: map[string]any{}}
	params, _ := cfn["Parameters"].(map[string]any)
	for name, decl := range params {
		d, _ := decl.(map[string]any)
		s.Parameters[name] = d
		if v, ok := d["Default"]; ok {
			s.params[name] = str(v)
		}
	}
	for name, v := range given {
		d, ok := s.Parameters[name]
		if !ok {
			return nil, fmt.Errorf("the template has no parameter %s", name)
		}
		if err := checkParameter(name, d, v); err != nil {
			return nil, err
		}
		s.params[name] = v
	}
	for name := range s.Parameters {
		if _, ok := s.params[name]; !ok {
			return nil, fmt.Errorf("parameter %s has no default and no value", name)
		}
	}
	conds, _ := cfn["Conditions"].(map[string]any)
	var cond func(name string) bool
	busy := map[string]bool{}
	cond = func(name string) bool {
		if v, ok := s.conditions[name]; ok {
			return v
		}
		if busy[name] {
			panic("condition cycle at " + name)
		}
		busy[name] = true
		s.conditions[name] = s.truth(conds[name], cond)
		return s.conditions[name]
	}
	for name := range conds {
		cond(name)
	}
	rules, _ := cfn["Rules"].(map[string]any)
	for _, r := range rules {
		rule, _ := r.(map[string]any)
		if rc, ok := rule["RuleCondition"]; ok && !s.truth(rc, cond) {
			continue
		}
		asserts, _ := rule["Assertions"].([]any)
		for _, a := range asserts {
			am, _ := a.(map[string]any)
			if !s.truth(am["Assert"], cond) {
				s.Failed = append(s.Failed, str(am["AssertDescription"]))
			}
		}
	}
	slices.Sort(s.Failed)
	resources, _ := cfn["Resources"].(map[string]any)
	for id, r := range resources {
		rm, _ := r.(map[string]any)
		if c, ok := rm["Condition"].(string); ok && !s.conditions[c] {
			continue
		}
		props, _ := s.resolve(rm["Properties"])
		pm, _ := props.(map[string]any)
		s.Resources[id] = resource{Type: str(rm["Type"]), DeletionPolicy: str(rm["DeletionPolicy"]),
			UpdateReplacePolicy: str(rm["UpdateReplacePolicy"]), Properties: pm}
	}
	outputs, _ := cfn["Outputs"].(map[string]any)
	for id, o := range outputs {
		om, _ := o.(map[string]any)
		if c, ok := om["Condition"].(string); ok && !s.conditions[c] {
			continue
		}
		s.Outputs[id], _ = s.resolve(om["Value"])
	}
	return s, nil
}

// checkParameter applies a parameter's constraints as CloudFormation does:
// AllowedPattern must match the whole value, AllowedValues must list it,
// numbers stay within MinValue and MaxValue.
func checkParameter(name string, d map[string]any, v string) error {
	if p, ok := d["AllowedPattern"].(string); ok {
		re, err := regexp.Compile(`\A(?:` + p + `)\z`)
		if err != nil {
			return fmt.Errorf("%s: AllowedPattern %q: %v", name, p, err)
		}
		if !re.MatchString(v) {
			return fmt.Errorf("%s=%q does not match its AllowedPattern %s", name, v, p)
		}
	}
	if allowed, ok := d["AllowedValues"].([]any); ok && !slices.ContainsFunc(allowed, func(a any) bool { return str(a) == v }) {
		return fmt.Errorf("%s=%q is not one of %v", name, v, allowed)
	}
	if d["Type"] == "Number" {
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return fmt.Errorf("%s=%q is not a number", name, v)
		}
		if lo, ok := d["MinValue"].(float64); ok && n < lo {
			return fmt.Errorf("%s=%v is below %v", name, n, lo)
		}
		if hi, ok := d["MaxValue"].(float64); ok && n > hi {
			return fmt.Errorf("%s=%v is above %v", name, n, hi)
		}
	}
	return nil
}

// truth evaluates a condition expression.
func (s *stack) truth(expr any, cond func(string) bool) bool {
	m, ok := expr.(map[string]any)
	if !ok || len(m) != 1 {
		panic(fmt.Sprintf("not a condition: %v", expr))
	}
	for fn, arg := range m {
		args, _ := arg.([]any)
		switch fn {
		case "Condition":
			return cond(arg.(string))
		case "Fn::Not":
			return !s.truth(args[0], cond)
		case "Fn::And":
			for _, a := range args {
				if !s.truth(a, cond) {
					return false
				}
			}
			return true
		case "Fn::Or":
			for _, a := range args {
				if s.truth(a, cond) {
					return true
				}
			}
			return false
		case "Fn::Equals":
			a, _ := s.resolve(args[0])
			b, _ := s.resolve(args[1])
			return str(a) == str(b)
		}
		panic("unsupported condition function " + fn)
	}
	return false
}

var subVar = regexp.MustCompile(`\$\{([A-Za-z0-9:._]+)\}`)

// resolve evaluates the intrinsic functions CloudFormation resolves from
// parameters alone. Ref and Fn::GetAtt to resources stay as they are.
// ok is false for AWS::NoValue.
func (s *stack) resolve(v any) (any, bool) {
	switch v := v.(type) {
	case []any:
		out := []any{}
		for _, e := range v {
			if r, ok := s.resolve(e); ok {
				out = append(out, r)
			}
		}
		return out, true
	case map[string]any:
		if len(v) == 1 {
			for fn, arg := range v {
				switch fn {
				case "Ref":
					name := arg.(string)
					if name == "AWS::NoValue" {
						return nil, false
					}
					if p, ok := pseudo[name]; ok {
						return p, true
					}
					if p, ok := s.params[name]; ok {
						return p, true
					}
					return v, true
				case "Fn::If":
					args := arg.([]any)
					if s.conditions[args[0].(string)] {
						return s.resolve(args[1])
					}
					return s.resolve(args[2])
				case "Fn::Sub":
					text, vars := "", map[string]any{}
					switch a := arg.(type) {
					case string:
						text = a
					case []any:
						text = a[0].(string)
						vm, _ := s.resolve(a[1])
						vars, _ = vm.(map[string]any)
					}
					return subVar.ReplaceAllStringFunc(text, func(m string) string {
						name := m[2 : len(m)-1]
						if r, ok := vars[name]; ok {
							if rs, ok := r.(string); ok {
								return rs
							}
						}
						if p, ok := pseudo[name]; ok {
							return p
						}
						if p, ok := s.params[name]; ok {
							return p
						}
						return m
					}), true
				}
			}
		}
		out := map[string]any{}
		for k, e := range v {
			if r, ok := s.resolve(e); ok {
				out[k] = r
			}
		}
		return out, true
	}
	return v, true
}

// str prints a scalar as CloudFormation passes it: numbers without a
// fraction, booleans as true and false.
func str(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// ref prints a reference to a resource: Ref X, or X.Attr.
func ref(v any) string {
	m, ok := v.(map[string]any)
	if !ok {
		return str(v)
	}
	if r, ok := m["Ref"].(string); ok {
		return "Ref " + r
	}
	if a, ok := m["Fn::GetAtt"].([]any); ok && len(a) == 2 {
		return str(a[0]) + "." + str(a[1])
	}
	return str(v)
}

// dig walks nested maps and lists (by index) of a resolved value.
func dig(v any, path ...any) any {
	for _, k := range path {
		switch k := k.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

// ofType returns the logical ids of the resources of type typ, sorted.
func (s *stack) ofType(typ string) []string {
	var ids []string
	for id, r := range s.Resources {
		if r.Type == typ {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// statements describes the inline IAM statements of a role, one line each:
// "Sid: action, action on resource [if condition]", sorted.
func (s *stack) statements(t *testing.T, role string) []string {
	t.Helper()
	r, ok := s.Resources[role]
	if !ok {
		t.Fatalf("no role %s", role)
	}
	var out []string
	for _, p := range asList(r.Properties["Policies"]) {
		for _, st := range asList(dig(p, "PolicyDocument", "Statement")) {
			if str(dig(st, "Effect")) != "Allow" {
				t.Fatalf("%s: a statement that does not Allow: %v", role, st)
			}
			actions := []string{}
			for _, a := range asList(dig(st, "Action")) {
				actions = append(actions, str(a))
			}
			slices.Sort(actions)
			line := fmt.Sprintf("%s: %s on %s", str(dig(st, "Sid")), strings.Join(actions, ", "), ref(dig(st, "Resource")))
			if c := dig(st, "Condition"); c != nil {
				line += " if " + str(c)
			}
			out = append(out, line)
		}
	}
	slices.Sort(out)
	return out
}

// asList returns v as a list: a list, or one value.
func asList(v any) []any {
	switch v := v.(type) {
	case nil:
		return nil
	case []any:
		return v
	}
	return []any{v}
}
