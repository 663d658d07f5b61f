package transform

import (
	"strings"
)

// timeFixed is a layout of fixed-width numeric fields that a time is read
// in without time.Parse: "2006-01-02 15:04:05", "2006-01-02T15:04:05.000Z",
// "2006/01/02 15:04:05 -0700" and their relatives. It needs the year, the
// month and the day; a zone may only come last. Its parse reads a value
// that matches the layout exactly and is in range, and leaves any other to
// time.Parse (which reads more: one-digit hours, fractions the layout does
// not show, runs of spaces) and reports its errors; for what it reads it
// gives what time.Parse gives (fuzzed against it).
type timeFixed struct {
	n      int // the length of a value up to its zone
	lits   []timeLit
	year   int // positions of the fields in a value, -1 if absent
	month  int
	day    int
	hour   int
	minute int
	sec    int
	frac   int // the position of the '.' before the fraction
	fracN  int // the number of digits of the fraction
	zone   byte
	scale  int64 // 10^(9-fracN)
	chunks []timeChunk
}

// timeLit is a literal byte of a layout at its position in a value.
type timeLit struct {
	pos int
	b   byte
}

// timeChunk is one piece of a fixed layout: a literal, or a field.
type timeChunk struct {
	kind byte   // one of the tc* constants
	lit  string // tcLiteral: the text
	n    int    // tcFrac: the number of digits
}

const (
	tcLiteral byte = iota
	tcYear         // 2006
	tcMonth        // 01
	tcDay          // 02
	tcHour         // 15
	tcMinute       // 04
	tcSecond       // 05
	tcFrac         // .000, .000000, .000000000 (any number of zeros)
	tcZ            // Z07:00: "Z" or ±hh:mm
	tcZ4           // Z0700: "Z" or ±hhmm
	tcTZ           // -07:00: ±hh:mm
	tcTZ4          // -0700: ±hhmm
)

// timeFixedOf returns layout as a fixed layout, or nil if it holds
// anything else. Layout chunks are recognized as the time package
// recognizes them (nextStdChunk), longest first; a byte that would start
// a chunk this parser does not read rejects the layout.
func timeFixedOf(layout string) *timeFixed {
	var l timeFixed
	seen := map[byte]bool{}
	lit := func(s string) {
		if n := len(l.chunks); n > 0 && l.chunks[n-1].kind == tcLiteral {
			l.chunks[n-1].lit += s
			return
		}
		l.chunks = append(l.chunks, timeChunk{kind: tcLiteral, lit: s})
	}
	add := func(kind byte) {
		l.chunks = append(l.chunks, timeChunk{kind: kind})
		seen[kind] = true
	}
	// Chunks of fixed text, tried in this order: the numeric fields, then
	// the zones, where a longer form this parser does not read (reject)
	// comes before the shorter one it does.
	const reject = 0xff
	fixed := [...]struct {
		text string
		kind byte
	}{
		{"2006", tcYear}, {"01", tcMonth}, {"02", tcDay},
		{"15", tcHour}, {"04", tcMinute}, {"05", tcSecond},
		{"Z070000", reject}, {"Z07:00:00", reject}, {"-070000", reject}, {"-07:00:00", reject},
		{"Z0700", tcZ4}, {"Z07:00", tcZ}, {"-0700", tcTZ4}, {"-07:00", tcTZ},
		{"Z07", reject}, {"-07", reject},
	}
next:
	for i := 0; i < len(layout); {
		rest := layout[i:]
		for _, f := range fixed {
			if strings.HasPrefix(rest, f.text) {
				if f.kind == reject {
					return nil
				}
				add(f.kind)
				i += len(f.text)
				continue next
			}
		}
		switch c := layout[i]; {
		case c == '.' && len(rest) > 1 && rest[1] == '0':
			j := 1
			for j < len(rest) && rest[j] == '0' {
				j++
			}
			if j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
				return nil // not a fraction to the time package either
			}
			l.chunks = append(l.chunks, timeChunk{kind: tcFrac, n: j - 1})
			seen[tcFrac] = true
			i += j
		case c == 'T' || c == ':' || c == '/' || c == '-' || c == 'Z' || c == ' ':
			lit(rest[:1])
			i++
		default:
			return nil // another chunk (Jan, Mon, 3, _2, PM, …) or literal
		}
	}
	zones := 0
	for _, k := range []byte{tcZ, tcZ4, tcTZ, tcTZ4} {
		if seen[k] {
			zones++
		}
	}
	count := map[byte]int{}
	for _, c := range l.chunks {
		count[c.kind]++
	}
	for k, n := range count {
		if k != tcLiteral && n > 1 {
			return nil // a field given twice: the time package takes the last
		}
	}
	if !seen[tcYear] || !seen[tcMonth] || !seen[tcDay] || zones > 1 || !l.plan() {
		return nil
	}
	return &l
}

// plan lays the chunks out at their positions in a value. It reports
// false if a chunk follows the zone.
func (l *timeFixed) plan() bool {
	l.year, l.month, l.day, l.hour, l.minute, l.sec, l.frac = -1, -1, -1, -1, -1, -1, -1
	pos := 0
	for _, c := range l.chunks {
		if l.zone != 0 {
			return false
		}
		switch c.kind {
		case tcLiteral:
			for j := range len(c.lit) {
				l.lits = append(l.lits, timeLit{pos: pos + j, b: c.lit[j]})
			}
			pos += len(c.lit)
		case tcYear:
			l.year, pos = pos, pos+4
		case tcMonth:
			l.month, pos = pos, pos+2
		case tcDay:
			l.day, pos = pos, pos+2
		case tcHour:
			l.hour, pos = pos, pos+2
		case tcMinute:
			l.minute, pos = pos, pos+2
		case tcSecond:
			l.sec, pos = pos, pos+2
		case tcFrac:
			if c.n > 9 {
				return false // the time package reads nine digits of more
			}
			l.frac, l.fracN, pos = pos, c.n, pos+1+c.n
			l.scale = 1
			for range 9 - c.n {
				l.scale *= 10
			}
		default:
			l.zone = c.kind
		}
	}
	l.n = pos
	return true
}

// digits2 reads two decimal digits at s[i:], which holds them.
func digits2(s string, i int) (int, bool) {
	a, b := s[i]-'0', s[i+1]-'0'
	return int(a)*10 + int(b), a <= 9 && b <= 9
}

// field reads the two-digit field at position i (-1: absent, 0).
func field(s string, i int) (int, bool) {
	if i < 0 {
		return 0, true
	}
	return digits2(s, i)
}

// parse returns the Unix nanoseconds of s, or ok false when s is left to
// time.Parse.
func (l *timeFixed) parse(s string) (ns int64, ok bool) {
	if len(s) < l.n {
		return 0, false
	}
	for _, lit := range l.lits {
		if s[lit.pos] != lit.b {
			return 0, false
		}
	}
	hi, ok1 := digits2(s, l.year)
	lo, ok2 := digits2(s, l.year+2)
	month, ok3 := digits2(s, l.month)
	day, ok4 := digits2(s, l.day)
	hour, ok5 := field(s, l.hour)
	minute, ok6 := field(s, l.minute)
	sec, ok7 := field(s, l.sec)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7) {
		return 0, false
	}
	year := hi*100 + lo
	if month < 1 || month > 12 || day < 1 || day > timeDaysIn(month, year) || hour > 23 || minute > 59 || sec > 59 {
		return 0, false
	}
	var nsec int64
	if l.frac >= 0 {
		if c := s[l.frac]; c != '.' && c != ',' {
			return 0, false
		}
		for _, d := range []byte(s[l.frac+1 : l.frac+1+l.fracN]) {
			if d -= '0'; d > 9 {
				return 0, false
			}
			nsec = nsec*10 + int64(d)
		}
		nsec *= l.scale
	}
	offset := 0
	switch rest := s[l.n:]; {
	case l.zone == 0:
		if rest != "" {
			return 0, false
		}
	case (l.zone == tcZ || l.zone == tcZ4) && rest == "Z":
	default:
		colon := l.zone == tcZ || l.zone == tcTZ
		want := 5
		if colon {
			want = 6
		}
		if len(rest) != want || (rest[0] != '+' && rest[0] != '-') || (colon && rest[3] != ':') {
			return 0, false
		}
		h, ok1 := digits2(rest, 1)
		m, ok2 := digits2(rest, want-2)
		if !ok1 || !ok2 || h > 24 || m > 60 {
			return 0, false
		}
		offset = (h*60 + m) * 60
		if rest[0] == '-' {
			offset = -offset
		}
	}
	secs := timeDaysSinceEpoch(year, month, day)*86400 + int64(hour*3600+minute*60+sec-offset)
	return secs*1e9 + nsec, true
}

// timeDaysSinceEpoch returns the days from 1970-01-01 to a valid date of
// the proleptic Gregorian calendar.
func timeDaysSinceEpoch(year, month, day int) int64 {
	y := int64(year)
	if month <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	m := int64(month)
	if m > 2 {
		m -= 3
	} else {
		m += 9
	}
	doy := (153*m+2)/5 + int64(day) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// timeDaysIn returns the number of days of a month.
func timeDaysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
