# ess-standby with Terraform: the same function as s.yaml (docs/terraform.md),
# on the custom runtime, one instance serving up to 200
# invocations at once, with its role, its logstore and its triggers.
# handler/internal/deploytest's tests hold it to the provider's schemas and to s.yaml.

provider "alicloud" {
  region = var.region
}

data "alicloud_account" "current" {}

locals {
  account = data.alicloud_account.current.id
  # deploy/function-policy.json, the one least-privilege policy, filled in:
  # the region, the account, and one ARN per scaling group.
  group_arns = join("\", \"", [for g in var.scaling_group_ids : "acs:ess:${var.region}:${local.account}:scalinggroup/${g}"])
  policy = replace(replace(replace(file("${path.module}/../function-policy.json"),
    "acs:ess:<region>:<account-id>:scalinggroup/<scaling-group-id>", local.group_arns),
  "<region>", var.region), "<account-id>", local.account)
}

resource "alicloud_ram_role" "ess_standby" {
  name        = var.role_name
  document    = file("${path.module}/../function-trust.json")
  description = "ess-standby: puts Auto Scaling instances into Standby"
}

resource "alicloud_ram_policy" "ess_standby" {
  policy_name     = var.role_name
  policy_document = local.policy
  description     = "ess-standby's least privilege (deploy/function-policy.json)"
}

resource "alicloud_ram_role_policy_attachment" "ess_standby" {
  role_name   = alicloud_ram_role.ess_standby.name
  policy_name = alicloud_ram_policy.ess_standby.policy_name
  policy_type = "Custom"
}

# Named here, unlike s.yaml's logConfig: auto, which Terraform has no
# equivalent of.
resource "alicloud_log_project" "ess_standby" {
  project_name = var.log_project
  description  = "ess-standby's logs"
}

resource "alicloud_log_store" "ess_standby" {
  project_name     = alicloud_log_project.ess_standby.project_name
  logstore_name    = var.log_store
  retention_period = 30
}

# The index the failure alert's query needs (logConfig: auto makes one for
# s.yaml): the JSON line's words, and the message analysable.
resource "alicloud_log_store_index" "ess_standby" {
  project  = alicloud_log_project.ess_standby.project_name
  logstore = alicloud_log_store.ess_standby.logstore_name

  full_text {
    case_sensitive = false
  }

  field_search {
    name             = "message"
    type             = "text"
    enable_analytics = true
  }
}

resource "alicloud_fcv3_function" "ess_standby" {
  function_name = "ess-standby"
  description   = "Puts Auto Scaling instances into Standby on an alarm, an ECS event, a timer or an HTTP call"
  runtime       = "custom.debian10"
  handler       = "main" # as s.yaml: FC asks for one; the custom runtime starts bootstrap
  memory_size   = 256
  cpu           = 0.25
  disk_size     = 512
  timeout       = 30
  # One instance (the concurrency config below), serving up to 200
  # invocations at once: the guard rails hold because they share a process.
  instance_concurrency = 200
  internet_access      = true
  role                 = alicloud_ram_role.ess_standby.arn

  code {
    zip_file = filebase64(var.code_zip)
  }

  custom_runtime_config {
    command = ["/code/bootstrap"]
    port    = 9000
  }

  log_config {
    project  = alicloud_log_project.ess_standby.project_name
    logstore = alicloud_log_store.ess_standby.logstore_name
  }

  environment_variables = merge(var.settings, {
    DRY_RUN                   = tostring(var.dry_run)
    SCALING_GROUP_ID          = var.scaling_group_id
    ALLOWED_SCALING_GROUP_IDS = join(",", var.scaling_group_ids)
    AUTH_TOKEN                = var.auth_token
    NOTIFY_URL                = var.notify_url
    NOTIFY_SECRET             = var.notify_secret
  })

  depends_on = [alicloud_ram_role_policy_attachment.ess_standby]
}

resource "alicloud_fcv3_concurrency_config" "ess_standby" {
  function_name        = alicloud_fcv3_function.ess_standby.function_name
  reserved_concurrency = 1
}

resource "alicloud_fcv3_async_invoke_config" "ess_standby" {
  function_name                  = alicloud_fcv3_function.ess_standby.function_name
  qualifier                      = var.qualifier
  max_async_retry_attempts       = 2
  max_async_event_age_in_seconds = 3600

  dynamic "destination_config" {
    for_each = length(var.async_destinations) > 0 ? [var.async_destinations] : []
    content {
      dynamic "on_failure" {
        for_each = contains(keys(destination_config.value), "on_failure") ? [destination_config.value.on_failure] : []
        content {
          destination = on_failure.value
        }
      }
    }
  }
}

resource "alicloud_fcv3_trigger" "http" {
  function_name = alicloud_fcv3_function.ess_standby.function_name
  trigger_name  = "http"
  trigger_type  = "http"
  qualifier     = var.qualifier
  # Anonymous, as s.yaml's: CloudMonitor's callbacks cannot sign, so the
  # function checks var.auth_token (required) before it reads a body.
  trigger_config = jsonencode({
    authType = "anonymous"
    methods  = ["POST", "GET"]
  })
}

resource "alicloud_fcv3_trigger" "scheduled" {
  function_name = alicloud_fcv3_function.ess_standby.function_name
  trigger_name  = "scheduled"
  trigger_type  = "timer"
  qualifier     = var.qualifier
  trigger_config = jsonencode({
    cronExpression = "CRON_TZ=Asia/Shanghai 0 0 2 * * *"
    enable         = false
    payload        = "{\"ScalingGroupId\":\"asg-bp1fo0dbtsbmqa9h5dl3\",\"InstanceIds\":[\"i-bp1ecr7go2go9kq3m1a\"]}"
  })
}

resource "alicloud_fcv3_trigger" "lease_sweep" {
  function_name = alicloud_fcv3_function.ess_standby.function_name
  trigger_name  = "lease-sweep"
  trigger_type  = "timer"
  qualifier     = var.qualifier
  trigger_config = jsonencode({
    cronExpression = "0 */15 * * * *"
    enable         = true
    payload        = "{\"Action\":\"Sweep\"}"
  })
}

resource "alicloud_fcv3_trigger" "ecs_events" {
  function_name = alicloud_fcv3_function.ess_standby.function_name
  trigger_name  = "ecs-events"
  trigger_type  = "eventbridge"
  qualifier     = var.qualifier
  trigger_config = jsonencode({
    triggerEnable          = true
    asyncInvocationType    = true
    eventRuleFilterPattern = "{\"source\":[\"acs.ecs\"],\"type\":[\"ecs:Instance:SystemMaintenance.Reboot\",\"ecs:Instance:SystemMaintenance.Redeploy\",\"ecs:Instance:SystemMaintenance.Stop\",\"ecs:Instance:SystemMaintenance.IsolateErrorDisk\",\"ecs:Instance:SystemMaintenance.ReInitErrorDisk\",\"ecs:Instance:SystemMaintenance.RebootAndIsolateErrorDisk\",\"ecs:Instance:SystemMaintenance.RebootAndReInitErrorDisk\",\"ecs:Instance:SystemFailure.Reboot\",\"ecs:Instance:SystemFailure.Redeploy\",\"ecs:Instance:SystemFailure.Stop\",\"ecs:Instance:SystemFailure.Delete\",\"ecs:Instance:InstanceFailure.Reboot\",\"ecs:Instance:PreemptibleInstanceInterruption\"]}"
    eventSourceConfig = {
      eventSourceType       = "Default"
      eventSourceParameters = {}
    }
    eventSinkConfig = {
      deliveryOption = { eventSchema = "CloudEvents" }
    }
  })
}
