// Package ctgen generates synthetic AWS CloudTrail records for benchmarks and
// tests: the Go port of the shared generator gen_cloudtrail.py.
//
// The output is byte-identical to the Python script's for the same count and
// seed (`gen_cloudtrail.py N SEED`): the package reproduces CPython's
// Mersenne Twister, the way its random methods consume it, the order in
// which the script draws numbers (including the draws for alternatives it
// then discards) and json.dumps' compact formatting. A test checks this
// against a corpus the script made. Seeds are limited to uint64.
//
// Records vary in event type (console sign-in or API call), identity type,
// source address (IPv4, IPv6, AWS service name), error fields, TLS details
// and request size, so every branch of a CloudTrail normalization runs. They
// hold no real account data.
package ctgen

import (
	"bufio"
	"io"
	"strconv"
)

// The generator's vocabulary, as functions so that the package holds no
// mutable state.

func regions() []string {
	return []string{"us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2"}
}

func accounts() []string { return []string{"987654321012", "123456789012", "210987654321"} }

func agents() []string {
	return []string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/91.0.4472.124 Safari/537.36",
		"aws-cli/2.13.0 Python/3.11.4 Linux/5.10.0 exe/x86_64.amzn.2 prompt/off command/s3.ls",
		"aws-sdk-go-v2/1.21.0 os/linux lang/go#1.21.1 md/GOOS#linux md/GOARCH#amd64 api/sts#1.22.0",
		"Boto3/1.28.0 md/Botocore#1.31.0 ua/2.0 os/linux#5.10 md/arch#x86_64 lang/python#3.11.4",
		"console.amazonaws.com",
	}
}

func ciphers() []string {
	return []string{"TLS_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256", "TLS_AES_256_GCM_SHA384"}
}

func users() []string {
	return []string{"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"}
}

// Generator produces one record after another from a seed. It is not safe
// for concurrent use.
type Generator struct {
	r *pyRandom
}

// New returns a Generator that produces the records
// `gen_cloudtrail.py N seed` prints, in order.
func New(seed uint64) *Generator { return &Generator{r: newPyRandom(seed)} }

// Generate returns the first n records for seed, each a compact JSON object
// without a trailing newline.
func Generate(n int, seed uint64) [][]byte {
	g := New(seed)
	out := make([][]byte, n)
	for i := range out {
		out[i] = g.Append(nil)
	}
	return out
}

// WriteTo writes the first n records for seed to w as NDJSON (one record and
// a newline each), exactly what the Python script prints.
func WriteTo(w io.Writer, n int, seed uint64) error {
	bw := bufio.NewWriter(w)
	g := New(seed)
	var buf []byte
	for range n {
		buf = append(g.Append(buf[:0]), '\n')
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// Append appends the next record, as compact JSON without a newline, to dst
// and returns the extended slice.
func (g *Generator) Append(dst []byte) []byte {
	r := g.r
	acct := pick(r, accounts()...)
	ts := ts(r)
	kind := r.random()

	o := obj{b: append(dst, '{')}
	o.str("eventVersion", "1.08")
	o.key("userIdentity")
	arn := g.identity(&o, acct)
	o.str("eventTime", ts)

	var source, region, name string
	if kind < 0.25 {
		ok := r.random() < 0.8
		source, region, name = "signin.amazonaws.com", "us-east-1", "ConsoleLogin"
		o.str("eventSource", source)
		o.str("eventName", name)
		o.str("awsRegion", region)
		o.str("sourceIPAddress", ip(r))
		o.str("userAgent", agents()[0])
		o.raw("requestParameters", "null")
		o.key("responseElements")
		outcome := "Failure"
		if ok {
			outcome = "Success"
		}
		o.open()
		o.str("ConsoleLogin", outcome)
		o.close()
		o.key("additionalEventData")
		o.open()
		o.str("MobileVersion", "No")
		o.str("MFAUsed", pick(r, "Yes", "No"))
		o.close()
		o.str("eventType", "AwsConsoleSignIn")
		if !ok {
			o.str("errorMessage", "Failed authentication")
		}
	} else {
		// The script builds all five (source, name, parameters)
		// alternatives, drawing numbers for each, before choosing one.
		params := apiParams(r, acct)
		p := params[r.below(len(params))]
		source, name = p.source, p.name
		region = pick(r, regions()...)
		o.str("eventSource", source)
		o.str("eventName", name)
		o.str("awsRegion", region)
		o.str("sourceIPAddress", ip(r))
		o.str("userAgent", pick(r, agents()...))
		o.key("requestParameters")
		o.b = append(o.b, p.params...)
		o.raw("responseElements", "null")
		o.boolean("readOnly", name == "GetObject" || name == "DescribeInstances" || name == "Decrypt")
		o.str("eventType", "AwsApiCall")
		o.boolean("managementEvent", source != "s3.amazonaws.com")
		if r.random() < 0.12 {
			o.str("errorCode", pick(r, "AccessDenied", "Client.UnauthorizedOperation", "ThrottlingException"))
			if arn == "" {
				arn = "unknown"
			}
			o.str("errorMessage", "User: "+arn+" is not authorized to perform: "+name)
		}
	}
	o.key("eventID")
	o.b = appendUUID4(o.b, r)
	o.key("requestID")
	o.b = appendUUID4(o.b, r)
	o.str("recipientAccountId", acct)
	o.str("eventCategory", "Management")
	if r.random() < 0.9 {
		o.key("tlsDetails")
		o.open()
		o.str("tlsVersion", pick(r, "TLSv1.2", "TLSv1.3"))
		o.str("cipherSuite", pick(r, ciphers()...))
		host := source
		for i := 0; i < len(host); i++ {
			if host[i] == '.' {
				host = host[:i]
				break
			}
		}
		o.str("clientProvidedHostHeader", host+"."+region+".amazonaws.com")
		o.close()
	}
	return append(o.b, '}')
}

// ts draws an eventTime in May 2023.
func ts(r *pyRandom) string {
	day := r.randrange(1, 29)
	hour := r.below(24)
	minute := r.below(60)
	sec := r.below(60)
	b := make([]byte, 0, 20)
	b = append(b, "2023-05-"...)
	b = pad2(b, day)
	b = append(b, 'T')
	b = pad2(b, hour)
	b = append(b, ':')
	b = pad2(b, minute)
	b = append(b, ':')
	b = pad2(b, sec)
	return string(append(b, 'Z'))
}

func pad2(b []byte, v int) []byte {
	if v < 10 {
		b = append(b, '0')
	}
	return strconv.AppendInt(b, int64(v), 10)
}

// ip draws a source address: IPv4 (55%), IPv6 (20%) or an AWS service name.
func ip(r *pyRandom) string {
	x := r.random()
	switch {
	case x < 0.55:
		b := strconv.AppendInt(nil, int64(pick(r, 3, 18, 34, 52, 54, 98, 192, 203)), 10)
		b = append(b, '.')
		b = strconv.AppendInt(b, int64(r.below(256)), 10)
		b = append(b, '.')
		b = strconv.AppendInt(b, int64(r.below(256)), 10)
		b = append(b, '.')
		b = strconv.AppendInt(b, int64(r.randrange(1, 255)), 10)
		return string(b)
	case x < 0.75:
		b := append([]byte(nil), "2001:db8:"...)
		b = strconv.AppendUint(b, uint64(r.below(65536)), 16)
		b = append(b, ':')
		b = strconv.AppendUint(b, uint64(r.below(65536)), 16)
		b = append(b, "::"...)
		b = strconv.AppendUint(b, uint64(r.randrange(1, 65536)), 16)
		return string(b)
	}
	return pick(r, "ec2.amazonaws.com", "lambda.amazonaws.com", "cloudformation.amazonaws.com", "AWS Internal")
}

// identity appends a userIdentity object and returns its arn ("" when it
// has none).
func (g *Generator) identity(o *obj, acct string) string {
	r := g.r
	u := pick(r, users()...)
	x := r.random()
	o.open()
	defer o.close()
	switch {
	case x < 0.4:
		arn := "arn:aws:iam::" + acct + ":user/" + u
		o.str("type", "IAMUser")
		o.str("principalId", "AIDA"+upperHex(r, 17))
		o.str("arn", arn)
		o.str("accountId", acct)
		o.str("accessKeyId", "AKIA"+upperHex(r, 16))
		o.str("userName", u)
		return arn
	case x < 0.85:
		role := pick(r, "AWSReservedSSO_ACCOUNT_87654321", "Admin", "ReadOnly", "deploy-pipeline")
		sess := u + "@example.com"
		arn := "arn:aws:sts::" + acct + ":assumed-role/" + role + "/" + sess
		o.str("type", "AssumedRole")
		o.str("principalId", "AROAS5AFBLNG2RLOZNWEQ:"+sess)
		o.str("arn", arn)
		o.str("accountId", acct)
		o.key("sessionContext")
		o.open()
		o.key("sessionIssuer")
		o.open()
		o.str("type", "Role")
		o.str("principalId", "AROAS5AFBLNG2RLOZNWEQ")
		o.str("arn", "arn:aws:iam::"+acct+":role/"+role)
		o.str("accountId", acct)
		o.str("userName", role)
		o.close()
		o.key("attributes")
		o.open()
		o.str("creationDate", "2023-05-16T21:00:00Z")
		o.str("mfaAuthenticated", pick(r, "true", "false"))
		o.close()
		o.close()
		return arn
	}
	o.str("type", "AWSService")
	o.str("invokedBy", pick(r, "ec2.amazonaws.com", "lambda.amazonaws.com"))
	return ""
}

// apiCall is one alternative API call: its source, name and the JSON text of
// its requestParameters.
type apiCall struct {
	source, name string
	params       []byte
}

// apiParams draws the five alternatives in the script's order.
func apiParams(r *pyRandom, acct string) [5]apiCall {
	var out [5]apiCall
	p := obj{b: []byte{'{'}}
	p.str("bucketName", "logs-"+itoa(r.below(100)))
	p.str("key", "AWSLogs/"+itoa(r.below(1_000_000))+"/obj-"+itoa(r.below(1_000_000))+".json.gz")
	out[0] = apiCall{"s3.amazonaws.com", "GetObject", append(p.b, '}')}

	p = obj{b: []byte{'{'}}
	p.str("roleArn", "arn:aws:iam::"+acct+":role/deploy")
	p.str("roleSessionName", "s-"+itoa(r.below(1_000_000)))
	p.raw("durationSeconds", "3600")
	out[1] = apiCall{"sts.amazonaws.com", "AssumeRole", append(p.b, '}')}

	p = obj{b: []byte{'{'}}
	p.key("instancesSet")
	p.open()
	p.key("items")
	p.b = append(p.b, '[')
	n := r.randrange(1, 6)
	for i := range n {
		if i > 0 {
			p.b = append(p.b, ',')
		}
		id := strconv.FormatUint(r.bits64(), 16)
		p.b = append(p.b, `{"instanceId":"i-`...)
		for range 16 - len(id) {
			p.b = append(p.b, '0')
		}
		p.b = append(p.b, id...)
		p.b = append(p.b, `"}`...)
	}
	p.b = append(p.b, ']')
	p.close()
	p.raw("filterSet", "{}")
	out[2] = apiCall{"ec2.amazonaws.com", "DescribeInstances", append(p.b, '}')}

	p = obj{b: []byte{'{'}}
	p.str("userName", pick(r, users()...)+"-svc")
	p.raw("tags", `[{"key":"team","value":"sec"}]`)
	out[3] = apiCall{"iam.amazonaws.com", "CreateUser", append(p.b, '}')}

	p = obj{b: []byte{'{'}}
	p.str("encryptionAlgorithm", "SYMMETRIC_DEFAULT")
	p.key("encryptionContext")
	p.open()
	p.str("aws:lambda:FunctionArn", "arn:aws:lambda:us-east-1:"+acct+":function:f"+itoa(r.below(50)))
	p.close()
	out[4] = apiCall{"kms.amazonaws.com", "Decrypt", append(p.b, '}')}
	return out
}

func itoa(v int) string { return strconv.Itoa(v) }

const hexUpper = "0123456789ABCDEF"
const hexLower = "0123456789abcdef"

// upperHex draws 128 bits and returns the first n of their 32 upper-case hex
// digits (uuid.UUID(int=getrandbits(128)).hex[:n].upper()).
func upperHex(r *pyRandom, n int) string {
	hi, lo := r.bits128()
	var b [32]byte
	for i := range 16 {
		b[i] = hexUpper[(hi>>(60-4*i))&0xf]
		b[16+i] = hexUpper[(lo>>(60-4*i))&0xf]
	}
	return string(b[:n])
}

// appendUUID4 draws 128 bits and appends them as a quoted version 4 UUID
// (str(uuid.UUID(int=getrandbits(128), version=4))).
func appendUUID4(dst []byte, r *pyRandom) []byte {
	hi, lo := r.bits128()
	hi = hi&^(0xf<<12) | 4<<12 // version
	lo = lo&^(0xc<<60) | 0x8<<60
	var b [32]byte
	for i := range 16 {
		b[i] = hexLower[(hi>>(60-4*i))&0xf]
		b[16+i] = hexLower[(lo>>(60-4*i))&0xf]
	}
	dst = append(dst, '"')
	dst = append(dst, b[0:8]...)
	dst = append(dst, '-')
	dst = append(dst, b[8:12]...)
	dst = append(dst, '-')
	dst = append(dst, b[12:16]...)
	dst = append(dst, '-')
	dst = append(dst, b[16:20]...)
	dst = append(dst, '-')
	dst = append(dst, b[20:32]...)
	return append(dst, '"')
}

// obj appends the members of JSON objects in json.dumps' compact form. Every
// string the generator writes is printable ASCII without quotes or
// backslashes, so strings are written as they are.
type obj struct {
	b    []byte
	more bool // the current object already has a member
}

func (o *obj) key(k string) {
	if o.more {
		o.b = append(o.b, ',')
	}
	o.more = true
	o.b = append(o.b, '"')
	o.b = append(o.b, k...)
	o.b = append(o.b, '"', ':')
}

func (o *obj) str(k, v string) {
	o.key(k)
	o.b = append(o.b, '"')
	o.b = append(o.b, v...)
	o.b = append(o.b, '"')
}

func (o *obj) raw(k, v string) {
	o.key(k)
	o.b = append(o.b, v...)
}

func (o *obj) boolean(k string, v bool) {
	o.key(k)
	o.b = strconv.AppendBool(o.b, v)
}

// open starts a nested object as the value of the last key.
func (o *obj) open() {
	o.b = append(o.b, '{')
	o.more = false
}

// close ends the innermost object; its parent then has a member.
func (o *obj) close() {
	o.b = append(o.b, '}')
	o.more = true
}
