output "function_arn" {
  description = "The function's ARN."
  value       = alicloud_fcv3_function.ess_standby.function_arn
}

output "http_trigger_url" {
  description = "The HTTP trigger's URL: CloudMonitor's alarm callback goes to its /alarm path (README, \"Wire each source\")."
  value       = alicloud_fcv3_trigger.http.http_trigger[0].url_internet
}
