package provider

import (
	"context"
	"fmt"
	"testing"
)

// sourcesPolicy returns the Webex policy of a function serving several
// sources, with the function settings env.
func sourcesPolicy(t *testing.T, env map[string]string) *webexSources {
	t.Helper()
	p, err := Webex.Policy(Env{Getenv: func(k string) string { return env[k] }, Sources: true})
	if err != nil {
		t.Fatal(err)
	}
	w, ok := p.(*webexSources)
	if !ok {
		t.Fatalf("policy %T, want one per source", p)
	}
	return w
}

func decide(t *testing.T, p Policy, source string, settings map[string]string, actor, email string) string {
	t.Helper()
	body := fmt.Appendf(nil, `{"resource":"messages","event":"created","actorId":%q,"data":{"id":"M1","personId":%q,"personEmail":%q}}`, actor, actor, email)
	forward, reason, err := p.Decide(context.Background(), PolicyEvent{Source: source, Settings: settings, Body: body})
	switch {
	case err != nil:
		return "error: " + err.Error()
	case forward:
		return "forward"
	}
	return reason
}

func TestWebexPolicyPerSource(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		env      map[string]string
		settings map[string]string
		actor    string
		email    string
		want     string
	}{
		{"forwards everything with no settings anywhere", nil, nil, "ANY", "a@x.example", "forward"},
		{"drops the bot of the source's tag", nil, map[string]string{WebexTagBotID: "BOT-A"}, "BOT-A", "", "own_event"},
		{"drops the function's bot on a source without a tag", map[string]string{"WEBEX_BOT_ID": "BOT-F"}, nil, "BOT-F", "", "own_event"},
		{"forwards the function's bot on a source with its own bot", map[string]string{"WEBEX_BOT_ID": "BOT-F"}, map[string]string{WebexTagBotID: "BOT-A"}, "BOT-F", "", "forward"},
		{"reads addresses separated by spaces", nil, map[string]string{WebexTagAllowedEmails: "a@x.example  b@y.example"}, "B", "b@y.example", "forward"},
		{"reads addresses separated by commas", nil, map[string]string{WebexTagAllowedEmails: "a@x.example,b@y.example"}, "B", "b@y.example", "forward"},
		{"replaces the function's lists with the source's", map[string]string{"WEBEX_ALLOWED_DOMAINS": "x.example"}, map[string]string{WebexTagAllowedDomains: "y.example"}, "A", "a@x.example", "sender_not_allowed"},
		{"keeps the function's lists on a source without list tags", map[string]string{"WEBEX_ALLOWED_DOMAINS": "x.example"}, map[string]string{WebexTagBotID: "BOT-A"}, "A", "a@x.example", "forward"},
		{"lets an empty list tag lift the function's lists", map[string]string{"WEBEX_ALLOWED_DOMAINS": "x.example"}, map[string]string{WebexTagAllowedEmails: ""}, "Z", "z@z.example", "forward"},
		{"fails an organisation list without a token", nil, map[string]string{WebexTagAllowedOrgIDs: "ORG"}, "A", "a@x.example", "error: source s: webexpolicy: an organisation list needs the bot token to look people up"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := decide(t, sourcesPolicy(t, tc.env), "s", tc.settings, tc.actor, tc.email); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestWebexPolicyPerSourceFollowsChangedTags(t *testing.T) {
	t.Parallel()
	w := sourcesPolicy(t, nil)
	if got := decide(t, w, "s", map[string]string{WebexTagBotID: "BOT-A"}, "BOT-A", ""); got != "own_event" {
		t.Fatalf("with bot A: %q", got)
	}
	if got := decide(t, w, "s", map[string]string{WebexTagBotID: "BOT-B"}, "BOT-A", ""); got != "forward" {
		t.Fatalf("after the tag changed to bot B: %q", got)
	}
}

func TestWebexPolicyPerSourceIsBounded(t *testing.T) {
	t.Parallel()
	w := sourcesPolicy(t, nil)
	for i := 0; i < 2*webexSourcePolicies; i++ {
		name := fmt.Sprintf("s%d", i)
		if got := decide(t, w, name, map[string]string{WebexTagBotID: "BOT-" + name}, "BOT-"+name, ""); got != "own_event" {
			t.Fatalf("%s: %q", name, got)
		}
	}
	w.mu.Lock()
	n, m := w.order.Len(), len(w.items)
	w.mu.Unlock()
	if n != webexSourcePolicies || m != webexSourcePolicies {
		t.Fatalf("%d policies held (%d indexed), want %d", n, m, webexSourcePolicies)
	}
}

func TestWebexPolicyPerSourceRefusesBadFunctionSettings(t *testing.T) {
	t.Parallel()
	_, err := Webex.Policy(Env{Getenv: func(k string) string { return map[string]string{"WEBEX_ALLOWED_ORG_IDS": "ORG"}[k] }, Sources: true})
	if err == nil {
		t.Fatal("an organisation list without a token was accepted")
	}
}
