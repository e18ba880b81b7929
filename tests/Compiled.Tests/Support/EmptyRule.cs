using Compiled.Runtime.Alerts;
using Compiled.Runtime.Events;
using Compiled.Runtime.Rules;

namespace Compiled.Tests.Support;

/// <summary>A rule that matches nothing, for tests that drive a matcher directly and need only a rule's settings.</summary>
public sealed class EmptyRule() : DetectionRule(TestDescriptors.Create("empty"))
{
    public override void Evaluate(EventRecord ev, IAlertSink sink)
    {
    }
}
