# The alicloud provider this module is checked against: its resource
# schemas, dumped by schemagen/, are handler/internal/deploytest/testdata/terraform-schema.json.
terraform {
  required_providers {
    alicloud = {
      source  = "aliyun/alicloud"
      version = "1.240.0"
    }
  }
}
