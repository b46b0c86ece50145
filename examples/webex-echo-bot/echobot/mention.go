package echobot

import (
	"html"
	"regexp"
	"strings"

	"github.com/webhookguard/webhookguard/shared/event"
	"github.com/webhookguard/webhookguard/shared/webexapi"
)

// Text returns what a message says to the bot: its text without the
// bot's mention. The mention is found in the message's HTML, as a
// <spark-mention data-object-type="person"> whose data-object-id is the
// bot (its base64 id, or the raw UUID some clients send); the rest of the
// HTML is reduced to its text. A message without HTML has its leading
// display name or nickname of the bot removed, when it mentions the bot or
// was posted in a group space. Spaces are collapsed and the text trimmed;
// line breaks are kept.
func Text(m webexapi.Message, bot webexapi.Person) string {
	if m.HTML != "" {
		return tidy(htmlText(m.HTML, bot.ID))
	}
	text := tidy(m.Text)
	mentioned := m.RoomType == "group"
	for _, id := range m.MentionedPeople {
		mentioned = mentioned || event.SameWebexID(id, bot.ID)
	}
	if !mentioned {
		return text
	}
	for _, name := range []string{bot.DisplayName, bot.NickName} {
		if rest, ok := cutName(text, name); ok {
			return rest
		}
	}
	return text
}

// cutName removes name from the start of text, case-insensitively, with
// the separators that follow it (spaces, ',' or ':'), when it stands as a
// whole word.
func cutName(text, name string) (string, bool) {
	name = strings.TrimSpace(name)
	if name == "" || len(text) < len(name) || !strings.EqualFold(text[:len(name)], name) {
		return text, false
	}
	rest := text[len(name):]
	if rest != "" && !strings.ContainsRune(" \t\n,:", rune(rest[0])) {
		return text, false // a longer word that starts with the name
	}
	return strings.TrimLeft(rest, " \t\n,:"), true
}

// htmlText returns the text of a message's HTML without the elements that
// mention the bot. It reads the HTML once, left to right.
func htmlText(s, botID string) string {
	var b strings.Builder
	skip := 0 // depth inside the bot's mention
	for i := 0; i < len(s); {
		if s[i] != '<' {
			j := strings.IndexByte(s[i:], '<')
			if j < 0 {
				j = len(s) - i
			}
			if skip == 0 {
				b.WriteString(s[i : i+j])
			}
			i += j
			continue
		}
		j := strings.IndexByte(s[i:], '>')
		if j < 0 { // an unclosed tag: the rest is text
			if skip == 0 {
				b.WriteString(s[i:])
			}
			break
		}
		tag := s[i+1 : i+j]
		i += j + 1
		name, closing := tagName(tag)
		switch {
		case name == "spark-mention" && closing:
			if skip > 0 {
				skip--
			}
		case name == "spark-mention":
			if skip > 0 || mentions(tag, botID) {
				skip++
			}
		case skip == 0 && blocks[name]:
			b.WriteByte('\n')
		}
	}
	return html.UnescapeString(b.String())
}

// blocks are the elements that start a new line.
var blocks = map[string]bool{"p": true, "br": true, "div": true, "li": true, "ul": true, "ol": true, "blockquote": true, "pre": true}

// tagName returns a tag's lower-case element name and whether it closes.
func tagName(tag string) (string, bool) {
	closing := strings.HasPrefix(tag, "/")
	tag = strings.TrimPrefix(tag, "/")
	end := strings.IndexAny(tag, " \t\r\n/")
	if end < 0 {
		end = len(tag)
	}
	return strings.ToLower(tag[:end]), closing
}

var (
	personAttr = regexp.MustCompile(`(?i)\bdata-object-type\s*=\s*["']?person\b`)
	idAttr     = regexp.MustCompile(`(?i)\bdata-object-id\s*=\s*["']?([^"'\s>]+)`)
)

// mentions reports whether a spark-mention tag names the bot.
func mentions(tag, botID string) bool {
	m := idAttr.FindStringSubmatch(tag)
	return personAttr.MatchString(tag) && m != nil && event.SameWebexID(html.UnescapeString(m[1]), botID)
}

// tidy collapses spaces within lines, trims every line and drops the empty
// lines at the start and end.
func tidy(s string) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.Join(strings.Fields(l), " ")
	}
	return strings.Trim(strings.Join(lines, "\n"), "\n")
}
