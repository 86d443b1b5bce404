# Every setting of the function (README, "Settings"), with s.yaml's values
# as defaults.

variable "region" {
  description = "The region of the scaling groups, and of the function."
  type        = string
}

variable "code_zip" {
  description = "The code package: the custom runtime's binary and bootstrap, zipped (docs/terraform.md: the build step)."
  type        = string
  default     = "../../target/custom.zip"
}

variable "scaling_group_ids" {
  description = "The scaling groups the function may act on: its role is granted EnterStandby and ExitStandby on these only, and ALLOWED_SCALING_GROUP_IDS holds them."
  type        = list(string)
  validation {
    condition     = length(var.scaling_group_ids) > 0
    error_message = "Name at least one scaling group: the role is scoped to them."
  }
}

variable "role_name" {
  description = "The RAM role the function runs as, created here."
  type        = string
  default     = "ess-standby"
}

variable "log_project" {
  description = "The Log Service project for the function's logs, created here (a project name is unique in its region)."
  type        = string
}

variable "log_store" {
  description = "The logstore for the function's logs, created here."
  type        = string
  default     = "ess-standby"
}

variable "qualifier" {
  description = "What the triggers invoke: LATEST, or an alias such as prod (README, \"Roll back, stop, remove\")."
  type        = string
  default     = "LATEST"
}

variable "async_destinations" {
  description = "Where failed async invocations go once FC has retried them, e.g. {on_failure = \"acs:mns:...\"}; {} drops them."
  type        = map(string)
  default     = {}
}

variable "dry_run" {
  description = "DRY_RUN: decide and log, change nothing."
  type        = bool
  default     = true
}

variable "scaling_group_id" {
  description = "SCALING_GROUP_ID: the group for events that name none; empty: look each instance's group up."
  type        = string
  default     = ""
}

variable "auth_token" {
  # Required: the HTTP trigger is anonymous, as s.yaml's (CloudMonitor's
  # callbacks cannot sign), so every caller must present it.
  description = "AUTH_TOKEN: the token an HTTP-trigger caller presents, 16 to 256 characters (openssl rand -hex 24)."
  type        = string
  sensitive   = true
  validation {
    condition     = length(var.auth_token) >= 16 && length(var.auth_token) <= 256
    error_message = "auth_token must be 16 to 256 characters: openssl rand -hex 24."
  }
}

variable "notify_url" {
  description = "NOTIFY_URL: a DingTalk or Lark/Feishu robot's webhook, or any HTTPS endpoint."
  type        = string
  default     = ""
  sensitive   = true
}

variable "notify_secret" {
  description = "NOTIFY_SECRET: the robot's signing secret, or the webhook's HMAC key."
  type        = string
  default     = ""
  sensitive   = true
}

variable "settings" {
  description = "The other settings, by name (README, \"Settings\"): these are s.yaml's values."
  type        = map(string)
  default = {
    ESS_ENDPOINT            = ""
    ECS_ENDPOINT            = ""
    ECI_ENDPOINT            = ""
    ALIBABA_CLOUD_REGION_ID = ""
    MAX_INSTANCES           = "20"
    MIN_IN_SERVICE          = "50%"
    MAX_STANDBY             = "25%"
    MAX_EVENT_AGE           = "1h"
    STANDBY_LEASE           = "24h"
    LEASE_END               = "report"
    MAX_CONCURRENT_CALLS    = "16"
    WAIT                    = "false"
    EXIT_ON_OK              = "false"
    EXIT_ON_EVENT_END       = "false"
    INSTANCE_LABELS         = "instance_id,instanceId"
    LOCATE_BY_ADDRESS       = "false"
    LOG_LEVEL               = "info"
  }
}
