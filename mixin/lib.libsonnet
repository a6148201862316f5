// Small helpers shared by the alert and dashboard sources.
{
  // A `|||` text block as one line: line breaks become spaces and the final one goes, the way YAML
  // folds a `>-` scalar. Lets long annotations stay readable in the source.
  fold(text):: std.join(' ', std.filter(function(line) line != '', std.split(text, '\n'))),

  runbookUrl(config, alert):: '%s#%s' % [config.runbookUrlBase, std.asciiLower(alert)],
}
