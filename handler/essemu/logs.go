package essemu

import (
	"cmp"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Log Service, as far as the drill reads it: GetLogStoreLogs (GET
// /logstores/<logstore>?type=log, API 0.6.0) on a project's host
// (<project>.<endpoint>: the project is the Host's first label), each
// request checked against Log Service's own signature, with the documented
// error codes. What FC ships of a function's stdout, ShipLogs puts in. The
// query language is modelled only as far as full-text terms and field:value
// pairs joined by "and"; any other query is refused, never answered wrongly.

// logStore is one logstore: its logs, oldest first.
type logStore struct {
	project, name string
	logs          []map[string]string
}

// ShipLogs stores each line of stdout as FC's logging stores a function's
// output: a log whose message is the line, with the function's topic and
// name, written now. The project and logstore are made if need be.
func (s *Server) ShipLogs(project, logstore, function, stdout string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	store := s.logStore(project, logstore)
	if store == nil {
		store = &logStore{project: project, name: logstore}
		s.logStores = append(s.logStores, store)
	}
	at := strconv.FormatInt(s.now().Unix(), 10)
	for line := range strings.Lines(stdout) {
		if line = strings.TrimRight(line, "\r\n"); line != "" {
			store.logs = append(store.logs, map[string]string{"__time__": at, "__topic__": "FCLogs:" + function, "__source__": "",
				"message": line, "functionName": function, "qualifier": "LATEST", "versionId": "LATEST", "instanceID": "c-essemu"})
		}
	}
}

// logStore is the logstore named so, or nil. s.mu is held.
func (s *Server) logStore(project, name string) *logStore {
	if i := slices.IndexFunc(s.logStores, func(l *logStore) bool { return l.project == project && l.name == name }); i >= 0 {
		return s.logStores[i]
	}
	return nil
}

// serveLogs answers a Log Service request.
func (s *Server) serveLogs(w http.ResponseWriter, r *http.Request) {
	project, _, _ := strings.Cut(r.Host, ".")
	query := r.URL.Query()
	call := Call{Action: "GetLogStoreLogs", Params: query, SecurityToken: r.Header.Get("x-acs-security-token")}
	s.mu.Lock()
	logs, apiErr := s.getLogs(r, project, strings.TrimPrefix(r.URL.Path, "/logstores/"), query, &call)
	call.Status = http.StatusOK
	if apiErr != nil {
		call.Status, call.Code = apiErr.status, apiErr.code
	}
	s.calls = append(s.calls, call)
	requestID := strconv.Itoa(len(s.calls))
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("x-log-requestid", "essemu-"+requestID)
	if apiErr != nil {
		w.WriteHeader(apiErr.status)
		_ = json.NewEncoder(w).Encode(map[string]string{"errorCode": apiErr.code, "errorMessage": apiErr.message})
		return
	}
	w.Header().Set("x-log-progress", "Complete")
	w.Header().Set("x-log-count", strconv.Itoa(len(logs)))
	_ = json.NewEncoder(w).Encode(logs)
}

// getLogs authenticates a GetLogStoreLogs request and runs it. s.mu is held.
func (s *Server) getLogs(r *http.Request, project, logstore string, q url.Values, call *Call) ([]map[string]string, *apiError) {
	if apiErr := s.authenticateLogs(r, call); apiErr != nil {
		return nil, apiErr
	}
	if r.Method != http.MethodGet {
		return nil, errorf(400, "ParameterInvalid", "GetLogStoreLogs is a GET")
	}
	store, apiErr := s.existingLogStore(project, logstore)
	if apiErr != nil {
		return nil, apiErr
	}
	query, apiErr := readLogQuery(q)
	if apiErr != nil {
		return nil, apiErr
	}
	return store.search(query), nil
}

// existingLogStore is the logstore named so or, if it or its project does
// not exist, Log Service's refusal. s.mu is held.
func (s *Server) existingLogStore(project, name string) (*logStore, *apiError) {
	if !slices.ContainsFunc(s.logStores, func(l *logStore) bool { return l.project == project }) {
		return nil, errorf(404, "ProjectNotExist", "Project %s does not exist.", project)
	}
	store := s.logStore(project, name)
	if store == nil {
		return nil, errorf(404, "LogStoreNotExist", "logstore %s does not exist", name)
	}
	return store, nil
}

// logQuery is what a GetLogStoreLogs request asks for.
type logQuery struct {
	from, to     int64 // Unix seconds: from included, to not
	line, offset int   // at most line logs, from the offset-th on
	reverse      bool  // newest first
	terms        []term
}

// readLogQuery reads a GetLogStoreLogs request's parameters, refusing the
// first that is not valid.
func readLogQuery(q url.Values) (logQuery, *apiError) {
	from, errFrom := strconv.ParseInt(q.Get("from"), 10, 64)
	to, errTo := strconv.ParseInt(q.Get("to"), 10, 64)
	line, errLine := strconv.Atoi(cmp.Or(q.Get("line"), "100"))
	offset, errOffset := strconv.Atoi(cmp.Or(q.Get("offset"), "0"))
	switch {
	case q.Get("type") != "log":
		return logQuery{}, errorf(400, "ParameterInvalid", "type must be log or histogram")
	case errFrom != nil || errTo != nil || from >= to:
		return logQuery{}, errorf(400, "ParameterInvalid", "from and to must be times in seconds, from before to")
	case errLine != nil || errOffset != nil || line < 0 || line > 100 || offset < 0:
		return logQuery{}, errorf(400, "ParameterInvalid", "line must be 0 to 100, offset at least 0")
	}
	terms, ok := parseQuery(q.Get("query"))
	if !ok {
		return logQuery{}, errorf(400, "ParameterInvalid", "the emulator models only terms and field:value pairs joined by and: %q", q.Get("query"))
	}
	return logQuery{from: from, to: to, line: line, offset: offset, reverse: q.Get("reverse") == "true", terms: terms}, nil
}

// search is the page of a store's logs that q asks for: those of its time
// that hold its terms, oldest first unless reversed.
func (store *logStore) search(q logQuery) []map[string]string {
	var found []map[string]string
	for _, l := range store.logs {
		at, _ := strconv.ParseInt(l["__time__"], 10, 64)
		if at >= q.from && at < q.to && matches(l, q.terms) {
			found = append(found, l)
		}
	}
	if q.reverse {
		slices.Reverse(found)
	}
	found = found[min(q.offset, len(found)):]
	return found[:min(q.line, len(found))]
}

// authenticateLogs checks a request as Log Service does: its headers, its
// date, its key, its signature and its STS token. s.mu is held.
func (s *Server) authenticateLogs(r *http.Request, call *Call) *apiError {
	id, signature, ok := strings.Cut(strings.TrimPrefix(r.Header.Get("Authorization"), "LOG "), ":")
	call.AccessKeyID = id
	switch {
	case !strings.HasPrefix(r.Header.Get("Authorization"), "LOG ") || !ok:
		return errorf(400, "ParameterInvalid", "Http extend authorization : authorization pair is invalid.")
	case r.Header.Get("x-log-apiversion") != "0.6.0" || r.Header.Get("x-log-signaturemethod") != "hmac-sha1":
		return errorf(400, "ParameterInvalid", "Http extend x-log-apiversion or x-log-signaturemethod is invalid.")
	case r.Header.Get("x-log-bodyrawsize") == "":
		return errorf(400, "ParameterInvalid", "Http extend x-log-bodyrawsize : x-log-bodyrawsize pair is invalid.")
	}
	date, err := http.ParseTime(r.Header.Get("Date"))
	if err != nil {
		return errorf(400, "InvalidRequestTime", "Request time %s not follow RFC822 spec.", r.Header.Get("Date"))
	}
	if s.skewed(date) {
		return errorf(400, "RequestTimeExpired", "Request time %s has been expired while server time is %s.", r.Header.Get("Date"), s.now().UTC().Format(http.TimeFormat))
	}
	key, ok := s.keys[id]
	if !ok {
		return errorf(401, "Unauthorized", "AccessKeyId not found: %s", id)
	}
	if logSignature(key.Secret, r) != signature {
		return errorf(401, "SignatureNotMatch", "Signature %s not matched.", signature)
	}
	call.SignatureOK = true
	if r.Header.Get("x-acs-security-token") != key.Token {
		return errorf(401, "Unauthorized", "The security token you provided is invalid.")
	}
	return nil
}

// logSignature is Log Service's: Base64(HMAC-SHA1(secret, the verb, then
// Content-MD5, Content-Type and Date, then each x-log- and x-acs- header
// as name:value, sorted, then the path with its query's name=value pairs,
// sorted and not escaped, each on a line of its own)).
func logSignature(secret string, r *http.Request) string {
	lines := []string{r.Method, r.Header.Get("Content-MD5"), r.Header.Get("Content-Type"), r.Header.Get("Date")}
	var headers []string
	for name := range r.Header {
		if l := strings.ToLower(name); strings.HasPrefix(l, "x-log-") || strings.HasPrefix(l, "x-acs-") {
			headers = append(headers, l+":"+strings.TrimSpace(r.Header.Get(name)))
		}
	}
	slices.Sort(headers)
	var pairs []string
	for k, vs := range r.URL.Query() {
		for _, v := range vs {
			pairs = append(pairs, k+"="+v)
		}
	}
	slices.Sort(pairs)
	resource := r.URL.Path
	if len(pairs) > 0 {
		resource += "?" + strings.Join(pairs, "&")
	}
	m := hmac.New(sha1.New, []byte(secret))
	m.Write([]byte(strings.Join(append(append(lines, headers...), resource), "\n")))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// term is one term of a query: a field's value, or words anywhere.
type term struct {
	field string   // empty: any field
	words []string // in order, lower-cased
}

// parseQuery reads terms joined by "and"; ok is false for anything else.
func parseQuery(q string) (terms []term, ok bool) {
	if strings.TrimSpace(q) == "" {
		return nil, true
	}
	if strings.ContainsAny(q, "|()*?") {
		return nil, false
	}
	for _, t := range strings.Split(q, " and ") {
		t = strings.TrimSpace(t)
		var field string
		if name, value, found := strings.Cut(t, ":"); found && !strings.HasPrefix(t, `"`) {
			field, t = name, value
		}
		if unquoted, err := strconv.Unquote(t); err == nil {
			t = unquoted
		} else if strings.Contains(t, `"`) || strings.Contains(t, " ") {
			return nil, false // or, not, and unbalanced quotes are not modelled
		}
		words := logWords(t)
		if len(words) == 0 {
			return nil, false
		}
		terms = append(terms, term{field: field, words: words})
	}
	return terms, true
}

// matches says whether a log holds every term.
func matches(l map[string]string, terms []term) bool {
	for _, t := range terms {
		found := false
		for field, value := range l {
			if (t.field == "" || t.field == field) && containsWords(logWords(value), t.words) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// logWords splits text at Log Service's default delimiters, as its
// full-text index does, lower-cased.
func logWords(text string) []string {
	return strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return strings.ContainsRune(" ,'\";=()[]{}?@&<>/:\n\t\r", r) })
}

func containsWords(words, phrase []string) bool {
	for i := 0; i+len(phrase) <= len(words); i++ {
		if slices.Equal(words[i:i+len(phrase)], phrase) {
			return true
		}
	}
	return false
}
