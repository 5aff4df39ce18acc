//! Bar charts drawn on the server as SVG, for pages that must work without
//! a chart script: one bar per day (or per label), the largest value on top,
//! each bar titled with its label and value for screen readers and hover.

use std::fmt::Write;

/// One bar: its label (a day, a country) and its value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bar {
    pub label: String,
    pub value: u64,
}

const WIDTH: u32 = 600;
const HEIGHT: u32 = 160;
const TOP: u32 = 16;
const BOTTOM: u32 = 20;

/// An SVG document of `bars`, titled `title` (which names it for screen
/// readers), scaled to the largest value.
pub fn bar_chart(title: &str, bars: &[Bar]) -> String {
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0);
    let plot = HEIGHT - TOP - BOTTOM;
    let count = u32::try_from(bars.len().max(1)).unwrap_or(u32::MAX);
    let slot = WIDTH / count;
    let bar_width = (slot * 3 / 4).max(1);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" class="chart"><title>{}</title>"#,
        escape(title)
    );
    let _ = write!(
        svg,
        r#"<text x="0" y="12" class="chart-max">{max}</text><line x1="0" y1="{y}" x2="{WIDTH}" y2="{y}" class="chart-axis"/>"#,
        y = HEIGHT - BOTTOM
    );
    for (i, bar) in bars.iter().enumerate() {
        let height = if max == 0 {
            0
        } else {
            u32::try_from(u128::from(bar.value) * u128::from(plot) / u128::from(max))
                .unwrap_or(plot)
        };
        let x = u32::try_from(i).unwrap_or(u32::MAX).saturating_mul(slot);
        let y = HEIGHT - BOTTOM - height;
        let _ = write!(
            svg,
            r#"<rect x="{x}" y="{y}" width="{bar_width}" height="{height}" class="chart-bar"><title>{}: {}</title></rect>"#,
            escape(&bar.label),
            bar.value
        );
    }
    // The first and last labels under the axis say the range.
    if let (Some(first), Some(last)) = (bars.first(), bars.last()) {
        let _ = write!(
            svg,
            r#"<text x="0" y="{y}" class="chart-label">{}</text><text x="{WIDTH}" y="{y}" text-anchor="end" class="chart-label">{}</text>"#,
            escape(&first.label),
            escape(&last.label),
            y = HEIGHT - 4
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Text for SVG content and attributes.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bars(values: &[u64]) -> Vec<Bar> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| Bar {
                label: format!("day {i}"),
                value: *v,
            })
            .collect()
    }

    #[test]
    fn the_largest_value_fills_the_plot_and_the_others_scale() {
        let svg = bar_chart("Sign-ins", &bars(&[0, 62, 124]));
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("<title>Sign-ins</title>"));
        assert!(
            svg.contains(r#"height="124" class="chart-bar"><title>day 2: 124</title>"#),
            "{svg}"
        );
        assert!(
            svg.contains(r#"height="62" class="chart-bar"><title>day 1: 62</title>"#),
            "{svg}"
        );
        assert!(
            svg.contains(r#"height="0" class="chart-bar"><title>day 0: 0</title>"#),
            "{svg}"
        );
    }

    #[test]
    fn an_empty_chart_draws_no_bar_and_labels_are_escaped() {
        let svg = bar_chart("<none>", &[]);
        assert!(!svg.contains("<rect"));
        assert!(svg.contains("&lt;none&gt;"));
        let svg = bar_chart(
            "x",
            &[Bar {
                label: "a&b".into(),
                value: 0,
            }],
        );
        assert!(svg.contains("a&amp;b: 0"));
    }
}
