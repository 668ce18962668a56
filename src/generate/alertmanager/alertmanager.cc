// GenerateAlertmanager: the routing config for the P1/P2/P3 severities of the generated
// alerts. P1 pages (and goes to chat), P2 goes to chat, P3 is recorded in Alertmanager but
// notifies nobody; a P1 silences the P2/P3 of the same agent, a P2 the P3.
#include <string>
#include <vector>

#include "generate/generate.h"
#include "generate/promql.h"
#include "generate/yaml.h"

namespace agx {
namespace {

constexpr char kCommand[] =
    "agent_exporter alertmanager --config.file=config/agent_exporter.yml "
    "--output=config/alertmanager.yml";

constexpr char kPager[] = "pager";
constexpr char kChat[] = "chat";
constexpr char kNull[] = "null";

// Slack message: one headline per notification group, one block per alert with its links.
constexpr char kChatTitle[] =
    "[{{ .Status | toUpper }}{{ if eq .Status \"firing\" }}:{{ .Alerts.Firing | len }}{{ end }}] "
    "{{ .CommonLabels.severity }} {{ .CommonLabels.alertname }}: {{ .CommonAnnotations.summary }}";
constexpr char kChatTitleLink[] = "{{ .CommonAnnotations.dashboard_url }}";
constexpr char kChatText[] =
    "{{ range .Alerts }}*{{ .Labels.alertname }}* ({{ .Labels.severity }}, {{ .Status }})"
    "{{ if .Labels.agent_id }} agent `{{ .Labels.agent_id }}`{{ end }}"
    "{{ if .Labels.tool_name }} tool `{{ .Labels.tool_name }}`{{ end }}: "
    "{{ .Annotations.summary }}\n"
    "{{ .Annotations.description }}\n"
    "<{{ .Annotations.runbook_url }}|Runbook> | <{{ .Annotations.dashboard_url }}|Dashboard>\n"
    "{{ end }}\n";

// PagerDuty incident: the alert and agent in the title, the links in the details.
constexpr char kPagerDescription[] =
    "{{ .CommonLabels.alertname }}{{ if .CommonLabels.agent_id }} ({{ .CommonLabels.agent_id }})"
    "{{ end }}: {{ .CommonAnnotations.summary }}";

Yaml Matchers(const std::string& matcher) { return Yaml::FlowList({matcher}); }

Yaml Route(const std::string& matcher, const std::string& receiver, bool cont) {
  Yaml route = Yaml::Map();
  route.Set("matchers", Matchers(matcher)).Set("receiver", receiver);
  if (cont) route.Set("continue", Yaml::Raw("true"));
  return route;
}

Yaml WebhookReceiver(const std::string& name, const std::string& url) {
  Yaml hook = Yaml::Map();
  hook.Set("url", url).Set("send_resolved", Yaml::Raw("true"));
  Yaml receiver = Yaml::Map();
  receiver.Set("name", name).Set("webhook_configs", Yaml::List().Add(std::move(hook)));
  return receiver;
}

Yaml PagerReceiver(const AlertmanagerConfig& am) {
  if (!am.pager_webhook_url.empty()) return WebhookReceiver(kPager, am.pager_webhook_url);
  Yaml details = Yaml::Map();
  details.Set("firing", "{{ template \"pagerduty.default.instances\" .Alerts.Firing }}")
      .Set("num_firing", "{{ .Alerts.Firing | len }}")
      .Set("runbook_url", "{{ .CommonAnnotations.runbook_url }}")
      .Set("dashboard_url", "{{ .CommonAnnotations.dashboard_url }}");
  Yaml pd = Yaml::Map();
  pd.Set("routing_key_file", am.pagerduty_routing_key_file)
      .Set("send_resolved", Yaml::Raw("true"))
      .Set("severity", "critical")
      .Set("description", kPagerDescription)
      .Set("details", std::move(details));
  Yaml receiver = Yaml::Map();
  receiver.Set("name", kPager).Set("pagerduty_configs", Yaml::List().Add(std::move(pd)));
  return receiver;
}

Yaml ChatReceiver(const AlertmanagerConfig& am) {
  if (!am.chat_webhook_url.empty()) return WebhookReceiver(kChat, am.chat_webhook_url);
  Yaml slack = Yaml::Map();
  slack.Set("api_url_file", am.slack_api_url_file)
      .Set("channel", am.slack_channel)
      .Set("send_resolved", Yaml::Raw("true"))
      .Set("title", kChatTitle)
      .Set("title_link", kChatTitleLink)
      .Set("text", kChatText);
  Yaml receiver = Yaml::Map();
  receiver.Set("name", kChat).Set("slack_configs", Yaml::List().Add(std::move(slack)));
  return receiver;
}

Yaml Inhibit(const std::string& source, const std::string& target) {
  Yaml rule = Yaml::Map();
  rule.Set("source_matchers", Matchers(source))
      .Set("target_matchers", Matchers(target))
      .Set("equal", Yaml::FlowList({"agent_id"}));
  return rule;
}

}  // namespace

std::string GenerateAlertmanager(const Config& config) {
  const AlertmanagerConfig& am = config.alertmanager;
  using promql::FormatDuration;

  Yaml routes = Yaml::List();
  routes.Add(Route("severity=\"P1\"", kPager, /*cont=*/true))
      .Add(Route("severity=~\"P1|P2\"", kChat, /*cont=*/false))
      .Add(Route("severity=\"P3\"", kNull, /*cont=*/false));
  Yaml route = Yaml::Map();
  route.Set("receiver", kNull)
      .Set("group_by", Yaml::FlowList(am.group_by))
      .Set("group_wait", Yaml::Raw(FormatDuration(am.group_wait)))
      .Set("group_interval", Yaml::Raw(FormatDuration(am.group_interval)))
      .Set("repeat_interval", Yaml::Raw(FormatDuration(am.repeat_interval)))
      .Set("routes", std::move(routes));

  Yaml receivers = Yaml::List();
  receivers.Add(PagerReceiver(am)).Add(ChatReceiver(am)).Add(Yaml::Map().Set("name", kNull));

  Yaml inhibit = Yaml::List();
  inhibit.Add(Inhibit("severity=\"P1\"", "severity=~\"P2|P3\""))
      .Add(Inhibit("severity=\"P2\"", "severity=\"P3\""));

  Yaml doc = Yaml::Map();
  doc.Set("route", std::move(route))
      .Set("receivers", std::move(receivers))
      .Set("inhibit_rules", std::move(inhibit));

  return GeneratedHeader("#", kCommand) +
         "# P1 pages (pager) and posts to chat, P2 posts to chat, P3 is recorded in Alertmanager\n"
         "# and notifies nobody. A P1 inhibits the P2/P3 alerts of the same agent_id, a P2 the P3.\n" +
         doc.Emit();
}

}  // namespace agx
