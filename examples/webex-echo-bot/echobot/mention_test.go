package echobot_test

import (
	"io"
	"log/slog"
	"testing"

	"github.com/webhookguard/webhookguard/examples/webex-echo-bot/echobot"
	"github.com/webhookguard/webhookguard/shared/webexapi"
)

func newJSONLogger(w io.Writer) *slog.Logger { return slog.New(slog.NewJSONHandler(w, nil)) }

func TestText(t *testing.T) {
	t.Parallel()
	var real webexapi.Message
	readJSON(t, "api.get-message.group-mention.real.json", &real)
	bot := webexapi.Person{ID: botID, DisplayName: "DummytestbotForChatSDK", NickName: "Dummy"}
	mention := func(id, name string) string {
		return `<spark-mention data-object-type="person" data-object-id="` + id + `">` + name + `</spark-mention>`
	}
	tests := []struct {
		name string
		msg  webexapi.Message
		want string
	}{
		{name: "removes the bot's mention from the real capture", msg: real, want: "hello"},
		{name: "removes a mention that carries the raw UUID", msg: webexapi.Message{RoomType: "group",
			HTML: "<p>" + mention("3cdd4059-9258-477d-b494-c133ac2cfad5", "Steve") + " what time is it?</p>"}, want: "what time is it?"},
		{name: "removes a mention wherever it stands", msg: webexapi.Message{HTML: "ping " + mention(botID, "Dummy") + ", please"}, want: "ping , please"},
		{name: "keeps another person's mention as text", msg: webexapi.Message{HTML: "<p>" + mention(botID, "Bot") + " say hi to " +
			mention("Y2lzY29zcGFyazovL3VzL1BFT1BMRS9lMjg5YTQ3MC05ODE4LTQ4MmItYjI1ZC00MTYyYWE4OWQ4NWU", "Alice") + "</p>"}, want: "say hi to Alice"},
		{name: "keeps a group mention", msg: webexapi.Message{HTML: `<p><spark-mention data-object-type="groupMention" data-group-type="all">All</spark-mention> ` + mention(botID, "Bot") + ` hi</p>`},
			want: "All hi"},
		{name: "reads entities and keeps lines", msg: webexapi.Message{HTML: "<p>" + mention(botID, "Bot") + " a &lt;b&gt; &amp; c</p><p>second   line</p>"},
			want: "a <b> & c\n\nsecond line"},
		{name: "reads an unclosed tag as text", msg: webexapi.Message{HTML: mention(botID, "Bot") + " 1 < 2"}, want: "1 < 2"},
		{name: "removes a leading display name from plain text when the bot is mentioned",
			msg: webexapi.Message{Text: "DummytestbotForChatSDK hello", MentionedPeople: []string{botID}}, want: "hello"},
		{name: "removes a leading nickname with a colon, in any case",
			msg: webexapi.Message{Text: "dummy: what now", RoomType: "group"}, want: "what now"},
		{name: "keeps the name in a direct message that does not mention the bot",
			msg: webexapi.Message{Text: "Dummy values are fine", RoomType: "direct"}, want: "Dummy values are fine"},
		{name: "keeps a longer word that starts with the name",
			msg: webexapi.Message{Text: "Dummytest is a word", RoomType: "group"}, want: "Dummytest is a word"},
		{name: "echoes a direct message as it is, spaces tidied", msg: webexapi.Message{Text: "  This is the direct message DM me ", RoomType: "direct"},
			want: "This is the direct message DM me"},
		{name: "leaves nothing when the message is only the mention", msg: webexapi.Message{HTML: "<p>" + mention(botID, "Bot") + "</p>"}, want: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := echobot.Text(tc.msg, bot); got != tc.want {
				t.Fatalf("Text = %q, want %q", got, tc.want)
			}
		})
	}
}

// FuzzText reads arbitrary HTML and text: no panic, and the bot's mention
// never survives in what is echoed.
func FuzzText(f *testing.F) {
	f.Add(`<p><spark-mention data-object-type="person" data-object-id="`+botID+`">Bot</spark-mention> hi</p>`, "Bot hi")
	f.Add("<spark-mention data-object-type=person data-object-id=3cdd4059-9258-477d-b494-c133ac2cfad5>x<spark-mention>y</spark-mention>z", "")
	f.Add("<<<>>>&amp;&#", "DummytestbotForChatSDK")
	bot := webexapi.Person{ID: botID, DisplayName: "DummytestbotForChatSDK"}
	f.Fuzz(func(t *testing.T, html, text string) {
		echobot.Text(webexapi.Message{HTML: html, Text: text, RoomType: "group"}, bot)
	})
}
