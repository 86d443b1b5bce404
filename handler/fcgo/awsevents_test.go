package fcgo_test

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"ess-standby/handler"
	"ess-standby/handler/internal/samples"
	"ess-standby/handler/standby"

	fcevents "github.com/aliyun/fc-runtime-go-sdk/events"
	awsevents "github.com/aws/aws-lambda-go/events"
	"github.com/google/go-cmp/cmp"
)

// The design card names aws-lambda-go for event types "where they fit FC's
// shapes faithfully". None does; this test pins why, so the decision is
// revisited if either library changes:
//   - its HTTP request types reject FC 3.0's HTTP event (timeEpoch is a
//     string there) and read queryStringParameters, not queryParameters;
//   - its HTTP response types add keys FC does not document (cookies,
//     multiValueHeaders), where fc-runtime-go-sdk's HTTPTriggerResponse has
//     exactly FC's four.
func TestAWSLambdaEventTypesDoNotFitFC(t *testing.T) {
	event := samples.Read(t, "http-query.json")
	var url awsevents.LambdaFunctionURLRequest
	if err := json.Unmarshal(event, &url); err == nil || !strings.Contains(err.Error(), "timeEpoch") {
		t.Errorf("LambdaFunctionURLRequest took FC's HTTP event (err %v): reconsider using it", err)
	}
	var v2 awsevents.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(event, &v2); err == nil || len(v2.QueryStringParameters) != 0 {
		t.Errorf("APIGatewayV2HTTPRequest took FC's HTTP event (err %v, query %v): reconsider using it", err, v2.QueryStringParameters)
	}
	keys := func(v any) string {
		b, _ := json.Marshal(v)
		var m map[string]any
		json.Unmarshal(b, &m)
		var names []string
		for k := range m {
			names = append(names, k)
		}
		slices.Sort(names)
		return strings.Join(names, ",")
	}
	if got := keys(fcevents.HTTPTriggerResponse{}); got != "body,headers,isBase64Encoded,statusCode" {
		t.Errorf("fc-runtime-go-sdk HTTPTriggerResponse marshals %s, FC documents body,headers,isBase64Encoded,statusCode", got)
	}
	if got := keys(awsevents.LambdaFunctionURLResponse{}); got == "body,headers,isBase64Encoded,statusCode" {
		t.Errorf("LambdaFunctionURLResponse now marshals exactly FC's keys: reconsider using it")
	}
}

// The handler shapes an HTTP trigger's answer itself (it imports no SDK):
// what it writes is exactly fc-runtime-go-sdk's HTTPTriggerResponse, every
// key of it and no other.
func TestEventReplyIsFCsHTTPTriggerResponse(t *testing.T) {
	out := handler.Outcome{HTTP: true, Status: 409, Body: []byte(`{"Code":"IncorrectInstanceStatus"}`)}
	body, failed := out.EventReply()
	var got fcevents.HTTPTriggerResponse
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil || failed {
		t.Fatalf("EventReply = %s, failed %t: %v", body, failed, err)
	}
	want := fcevents.HTTPTriggerResponse{StatusCode: 409, Headers: map[string]string{"Content-Type": "application/json"}, Body: string(out.Body)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("EventReply (-want +got):\n%s", diff)
	}
	if sdk, _ := json.Marshal(want); string(sdk) != string(body) {
		t.Errorf("EventReply = %s, the SDK marshals %s", body, sdk)
	}
	refused := handler.Outcome{Body: []byte(`{"Code":"x"}`), Err: &standby.Error{Code: "x"}}
	if body, failed := refused.EventReply(); !failed || string(body) != `{"Code":"x"}` {
		t.Errorf("a failed event answers %s, failed %t; want its body, failed", body, failed)
	}
}
