namespace Compiled.Tests.Support;

/// <summary>Builds small rule files for tests.</summary>
public static class RuleFiles
{
    /// <summary>Returns a valid EQL rule file with the given query and optional overrides of the [rule] keys.</summary>
    public static string Eql(string query, string name = "Test Rule", string ruleId = "1c2d3e4f-0000-4000-8000-000000000001", string extra = "") => $$"""
        [metadata]
        creation_date = "2024/01/02"
        maturity = "production"

        [rule]
        author = ["Compiled tests"]
        description = "A rule written for a test."
        name = "{{name}}"
        risk_score = 21
        rule_id = "{{ruleId}}"
        severity = "low"
        type = "eql"
        language = "eql"
        {{extra}}
        query = '''
        {{query}}
        '''
        """;

    /// <summary>Returns a valid KQL query rule file with the given query, and extra [rule] keys or tables after the query.</summary>
    public static string Kql(string query, string name = "Test Rule", string ruleId = "1c2d3e4f-0000-4000-8000-000000000002", string after = "") => $$"""
        [metadata]
        creation_date = "2024/01/02"
        maturity = "production"

        [rule]
        author = ["Compiled tests"]
        description = "A rule written for a test."
        name = "{{name}}"
        risk_score = 21
        rule_id = "{{ruleId}}"
        severity = "low"
        type = "query"
        language = "kuery"
        query = '''
        {{query}}
        '''
        {{after}}
        """;
}
