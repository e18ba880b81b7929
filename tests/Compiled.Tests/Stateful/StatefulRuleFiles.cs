namespace Compiled.Tests.Stateful;

/// <summary>Builds rule files of the stateful types for tests.</summary>
internal static class StatefulRuleFiles
{
    /// <summary>A rule of <paramref name="type"/>; <paramref name="tables"/> follows the [rule] table, such as "[rule.threshold]\nvalue = 5".</summary>
    public static string Rule(
        string type,
        string query,
        string tables,
        string language = "kuery",
        string name = "Stateful Rule",
        string extra = "",
        string ruleId = "4b1a2c3d-0000-4000-8000-000000000001") => $$"""
        [metadata]
        creation_date = "2024/01/02"
        maturity = "production"

        [rule]
        author = ["Compiled tests"]
        description = "A rule written for a test."
        from = "now-9m"
        interval = "5m"
        name = "{{name}}"
        risk_score = 47
        rule_id = "{{ruleId}}"
        severity = "medium"
        type = "{{type}}"
        language = "{{language}}"
        {{extra}}
        query = '''
        {{query}}
        '''

        {{tables}}
        """;

    public const string Threshold = """
        [rule.threshold]
        field = ["user.name"]
        value = 5
        """;

    public const string NewTerms = """
        [rule.new_terms]
        field = "new_terms_fields"
        value = ["host.name", "process.name"]
        [[rule.new_terms.history_window_start]]
        field = "history_window_start"
        value = "now-14d"
        """;

    public const string ThreatMapping = """
        [[rule.threat_mapping]]
        [[rule.threat_mapping.entries]]
        field = "file.hash.md5"
        type = "mapping"
        value = "threat.indicator.file.hash.md5"
        """;
}
