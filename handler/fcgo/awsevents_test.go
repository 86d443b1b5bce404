package fcgo_test

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	fcevents "github.com/aliyun/fc-runtime-go-sdk/events"
	awsevents "github.com/aws/aws-lambda-go/events"
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
	event, err := os.ReadFile("../../events/http-query.json")
	if err != nil {
		t.Fatal(err)
	}
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
