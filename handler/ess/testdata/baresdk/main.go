// Command baresdk is the function most people would write, the floor the
// performance measurements compare ess-standby with: a new SDK client per
// invocation, one EnterStandby, nothing else. ESS_ENDPOINT points it at the
// emulator, as it does ess-standby.
package main

import (
	"context"
	"net/url"
	"os"
	"strings"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ess"
	"github.com/aliyun/fc-runtime-go-sdk/fc"
	"github.com/aliyun/fc-runtime-go-sdk/fccontext"
)

type request struct {
	ScalingGroupId string
	InstanceIds    []string
}

func main() {
	endpoint, _ := url.Parse(os.Getenv("ESS_ENDPOINT"))
	fc.Start(func(ctx context.Context, req request) (*ess.EnterStandbyResponse, error) {
		fctx, _ := fccontext.FromContext(ctx)
		cred := fctx.Credentials
		config := sdk.NewConfig().WithScheme("HTTPS")
		if endpoint != nil && endpoint.Host != "" {
			config.Scheme = strings.ToUpper(endpoint.Scheme)
		}
		client, err := ess.NewClientWithOptions(fctx.Region, config, credentials.NewStsTokenCredential(cred.AccessKeyId, cred.AccessKeySecret, cred.SecurityToken))
		if err != nil {
			return nil, err
		}
		if endpoint != nil && endpoint.Host != "" {
			client.Domain = endpoint.Host
		}
		call := ess.CreateEnterStandbyRequest()
		call.ScalingGroupId, call.InstanceId, call.Async = req.ScalingGroupId, &req.InstanceIds, requests.NewBoolean(false)
		return client.EnterStandby(call)
	})
}
