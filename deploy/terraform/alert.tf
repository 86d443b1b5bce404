# The failure alert (docs/logs.md): every 5 minutes, Log Service counts
# the function's WARN and ERROR invocation lines in its logstore, and tells
# whoever the action policy names when there are any. Log Service's console
# makes action policies (Alert Center); without one, no alert is made.

variable "alert_action_policy_id" {
  description = "The Log Service action policy that says who is told of failures; empty: no alert."
  type        = string
  default     = ""
}

locals {
  # The failure query of docs/logs.md: FC's default full-text index splits the
  # JSON line into words.
  failure_query = "invocation and (WARN or ERROR) | select count(*) as failures"
}

resource "alicloud_sls_alert" "failures" {
  count        = var.alert_action_policy_id == "" ? 0 : 1
  project_name = alicloud_log_project.ess_standby.project_name
  alert_name   = "ess-standby-failures"
  display_name = "ess-standby failures"
  description  = "ess-standby logged a failure, a refusal or an ended lease"

  schedule {
    type     = "FixedRate"
    interval = "5m"
  }

  configuration {
    version   = "2.0"
    type      = "default"
    dashboard = "internal-alert-analysis"
    threshold = 1

    query_list {
      store_type     = "log"
      region         = var.region
      project        = alicloud_log_project.ess_standby.project_name
      store          = alicloud_log_store.ess_standby.logstore_name
      query          = local.failure_query
      time_span_type = "Relative"
      start          = "-5m"
      end            = "now"
    }

    group_configuration {
      type = "no_group"
    }

    severity_configurations {
      severity = 8
      eval_condition {
        condition = "failures > 0"
      }
    }

    policy_configuration {
      alert_policy_id  = "sls.builtin.dynamic"
      action_policy_id = var.alert_action_policy_id
      repeat_interval  = "1h"
    }
  }
}
