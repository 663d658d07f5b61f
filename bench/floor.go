package bench

import (
	"crypto/sha256"
	"encoding/hex"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// W1Floor appends the W1 output for line, one CloudTrail record as a JSON
// object, to dst and returns the extended slice. It is a hand-written,
// single-purpose implementation of the workload: one scan over the record's
// top level (and over the three nested objects W1 reads from) that keeps the
// text of the members it needs, then the output written with byte appends. It is the floor the general pipelines are measured against,
// not something to use: it knows W1 and nothing else.
//
// Values are treated as W1's reference treats them: null is missing;
// strings are compared and transformed after unescaping; a value copied
// unchanged keeps its JSON text. If line is not a JSON object, dst is
// returned unchanged. W1Floor does not allocate when dst has room for the
// output (about twice len(line)), except for strings with escapes that
// must be transformed.
func W1Floor(dst, line []byte) []byte {
	var f w1Fields
	if !f.scan(line) {
		return dst
	}
	return f.appendOutput(dst, line)
}

// w1Fields holds the JSON text of the members W1 reads, nil when missing or
// null.
type w1Fields struct {
	eventTime, eventName, eventID, eventSource, eventType []byte
	consoleLogin, errorCode, errorMessage                 []byte
	awsRegion, recipientAccountID, sourceIP, userAgent    []byte
	principalID, userName, arn                            []byte
	cipherSuite, tlsVersion, readOnly                     []byte
}

// scan reads the top-level members of line and the members of the objects
// it descends into. It reports whether line is a JSON object.
func (f *w1Fields) scan(line []byte) bool {
	return eachMember(line, func(key, val []byte) {
		switch string(key) {
		case "eventTime":
			f.eventTime = val
		case "eventName":
			f.eventName = val
		case "eventID":
			f.eventID = val
		case "eventSource":
			f.eventSource = val
		case "eventType":
			f.eventType = val
		case "errorCode":
			f.errorCode = val
		case "errorMessage":
			f.errorMessage = val
		case "awsRegion":
			f.awsRegion = val
		case "recipientAccountId":
			f.recipientAccountID = val
		case "sourceIPAddress":
			f.sourceIP = val
		case "userAgent":
			f.userAgent = val
		case "readOnly":
			f.readOnly = val
		case "responseElements":
			f.consoleLogin = nil
			eachMember(val, func(k, v []byte) {
				if string(k) == "ConsoleLogin" {
					f.consoleLogin = v
				}
			})
		case "userIdentity":
			f.principalID, f.userName, f.arn = nil, nil, nil
			eachMember(val, func(k, v []byte) {
				switch string(k) {
				case "principalId":
					f.principalID = v
				case "userName":
					f.userName = v
				case "arn":
					f.arn = v
				}
			})
		case "tlsDetails":
			f.cipherSuite, f.tlsVersion = nil, nil
			eachMember(val, func(k, v []byte) {
				switch string(k) {
				case "cipherSuite":
					f.cipherSuite = v
				case "tlsVersion":
					f.tlsVersion = v
				}
			})
		}
	})
}

// appendOutput writes the W1 object for the fields and the raw line.
func (f *w1Fields) appendOutput(b, line []byte) []byte {
	w := jsonWriter{b: append(b, '{')}
	if f.eventTime != nil {
		w.raw("@timestamp", f.eventTime)
	}
	w.open("event")
	if s, ok := strValue(f.eventTime); ok {
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			w.key("start")
			w.b = strconv.AppendInt(w.b, t.UnixMilli(), 10)
		}
	}
	w.rawIf("action", f.eventName)
	w.rawIf("id", f.eventID)
	w.rawIf("provider", f.eventSource)
	sum := sha256.Sum256(line)
	w.key("hash")
	w.b = append(w.b, '"')
	w.b = hex.AppendEncode(w.b, sum[:])
	w.b = append(w.b, '"')
	w.key("original")
	w.b = appendQuoted(w.b, line)
	w.key("outcome")
	switch {
	case f.consoleLogin != nil:
		s, _ := strValue(f.consoleLogin)
		w.b = appendLowerString(w.b, s)
	case f.errorCode != nil:
		w.b = append(w.b, `"failure"`...)
	default:
		w.b = append(w.b, `"success"`...)
	}
	if s, ok := strValue(f.eventType); ok && s == "AwsConsoleSignIn" {
		w.b = append(w.b, `,"category":["authentication"]`...)
	}
	w.close()

	w.open("cloud")
	w.b = append(w.b, `"provider":"aws"`...)
	w.more = true
	w.rawIf("region", f.awsRegion)
	if f.recipientAccountID != nil {
		w.open("account")
		w.raw("id", f.recipientAccountID)
		w.close()
	}
	if f.eventSource != nil {
		w.open("service")
		w.trimmed("name", f.eventSource, "", ".amazonaws.com")
		w.close()
	}
	w.close()

	if f.sourceIP != nil {
		w.open("source")
		key := "domain"
		if s, ok := strValue(f.sourceIP); ok {
			if _, err := netip.ParseAddr(s); err == nil {
				key = "ip"
			}
		}
		w.raw(key, f.sourceIP)
		w.close()
	}
	if f.principalID != nil || f.userName != nil || f.arn != nil {
		w.open("user")
		w.rawIf("id", f.principalID)
		switch {
		case f.userName != nil:
			w.raw("name", f.userName)
		case f.arn != nil:
			s, _ := strValue(f.arn)
			for i := len(s) - 1; i >= 0; i-- {
				if s[i] == '/' {
					s = s[i+1:]
					break
				}
			}
			w.key("name")
			w.b = appendQuoted(w.b, s)
		}
		w.close()
	}
	if f.userAgent != nil {
		w.open("user_agent")
		w.raw("original", f.userAgent)
		w.close()
	}
	if f.cipherSuite != nil || f.tlsVersion != nil {
		w.open("tls")
		w.rawIf("cipher", f.cipherSuite)
		if f.tlsVersion != nil {
			w.trimmed("version", f.tlsVersion, "TLSv", "")
		}
		w.close()
	}
	if f.readOnly != nil || f.errorCode != nil || f.errorMessage != nil {
		w.open("aws")
		w.open("cloudtrail")
		w.rawIf("read_only", f.readOnly)
		w.rawIf("error_code", f.errorCode)
		w.rawIf("error_message", f.errorMessage)
		w.close()
		w.close()
	}
	return append(w.b, '}')
}

// jsonWriter appends the members of nested JSON objects.
type jsonWriter struct {
	b    []byte
	more bool // the innermost open object has a member
}

func (w *jsonWriter) key(k string) {
	if w.more {
		w.b = append(w.b, ',')
	}
	w.more = true
	w.b = append(w.b, '"')
	w.b = append(w.b, k...)
	w.b = append(w.b, '"', ':')
}

func (w *jsonWriter) open(k string) {
	w.key(k)
	w.b = append(w.b, '{')
	w.more = false
}

func (w *jsonWriter) close() {
	w.b = append(w.b, '}')
	w.more = true
}

// raw writes a member whose value is the JSON text v.
func (w *jsonWriter) raw(k string, v []byte) {
	w.key(k)
	w.b = append(w.b, v...)
}

// rawIf writes the member if v is present.
func (w *jsonWriter) rawIf(k string, v []byte) {
	if v != nil {
		w.raw(k, v)
	}
}

// trimmed writes the string v without prefix and suffix; a value that is
// not a string is written unchanged.
func (w *jsonWriter) trimmed(k string, v []byte, prefix, suffix string) {
	s, ok := strValue(v)
	if !ok {
		w.raw(k, v)
		return
	}
	if len(s) >= len(prefix) && s[:len(prefix)] == prefix {
		s = s[len(prefix):]
	}
	if len(s) >= len(suffix) && s[len(s)-len(suffix):] == suffix {
		s = s[:len(s)-len(suffix)]
	}
	w.key(k)
	w.b = appendQuoted(w.b, s)
}

// strValue returns the contents of the JSON string v, and false if v is
// not a string. Strings without escapes share v's memory.
func strValue(v []byte) (string, bool) {
	if len(v) < 2 || v[0] != '"' {
		return "", false
	}
	body := v[1 : len(v)-1]
	for _, c := range body {
		if c == '\\' {
			return unescape(body), true
		}
	}
	return b2s(body), true
}

// unescape decodes the escapes of a JSON string body.
func unescape(body []byte) string {
	out := make([]byte, 0, len(body))
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c != '\\' || i+1 >= len(body) {
			out = append(out, c)
			continue
		}
		i++
		switch body[i] {
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, n := hex4(body[i+1:])
			i += n
			if utf16.IsSurrogate(r) {
				if len(body) > i+2 && body[i+1] == '\\' && body[i+2] == 'u' {
					if r2, n2 := hex4(body[i+3:]); n2 == 4 {
						if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
							r = d
							i += 2 + n2
						}
					}
				}
			}
			out = utf8.AppendRune(out, r)
		default: // '"', '\\', '/'
			out = append(out, body[i])
		}
	}
	return string(out)
}

// hex4 reads four hex digits; n is how many were read (4, or 0 when b does
// not start with four).
func hex4(b []byte) (r rune, n int) {
	if len(b) < 4 {
		return utf8.RuneError, 0
	}
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			r = r<<4 | rune(c-'0')
		case 'a' <= c && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case 'A' <= c && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return utf8.RuneError, 0
		}
	}
	return r, 4
}

// appendQuoted appends s as a JSON string, escaping quotes, backslashes and
// control characters; other bytes (UTF-8 included) are copied.
func appendQuoted[S string | []byte](b []byte, s S) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendLowerString appends s in lower case as a JSON string; ASCII is
// lowered in place, anything else through the Unicode tables.
func appendLowerString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return appendQuoted(b, strings.ToLower(s))
		}
	}
	start := len(b)
	b = appendQuoted(b, s)
	for i := start; i < len(b); i++ {
		if c := b[i]; 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return b
}

// b2s returns a string sharing b's memory; b must not change while the
// string is in use.
func b2s(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}
