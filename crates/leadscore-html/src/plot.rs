//! Small SVG charts (lines, scatter, bars, histograms) for leadscore's HTML reports.
//!
//! Why hand-written SVG: a report must open offline on any laptop, so it can
//! use no JavaScript, CDN or font file, and a plotting crate would need system
//! fonts to measure text. Here text is laid out with an estimated glyph width
//! and drawn by the browser with whatever sans-serif it has.
//!
//! Each chart is plain data ([`LineChart`], [`BarChart`], [`Histogram`]) with a
//! `to_svg(width, height)` that returns one `<svg>` element: axes with "nice"
//! ticks, grid lines, axis labels, a title and a legend. Scatter plots are
//! line charts whose series draw markers only ([`Style::markers`]).
//!
//! Guarantees:
//! - every string that may come from data (titles, series names, category
//!   labels, tooltips) goes through [`escape`], so a column called
//!   `<script>` is drawn as text;
//! - output is deterministic: coordinates are printed with fixed decimals and
//!   nothing depends on hash order, so the same chart gives the same bytes;
//! - non-finite values (and non-positive ones on a log axis) are skipped, never
//!   a panic or a `NaN` in the SVG.

use std::fmt::Write as _;

/// Font stack of every text element.
const FONT: &str = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif";
/// Tick label size (px).
const TICK_FONT: f64 = 11.0;
/// Axis label and legend size (px).
const LABEL_FONT: f64 = 12.0;
/// Title size (px).
const TITLE_FONT: f64 = 14.0;
/// Average glyph width as a share of the font size, for layout estimates.
const CHAR_WIDTH: f64 = 0.6;
/// Colour of text.
const TEXT: &str = "#1f2937";
/// Colour of axes and ticks.
const AXIS: &str = "#6b7280";
/// Colour of grid lines.
const GRID: &str = "#e5e7eb";
/// Space kept around the plot area inside the clip, so markers on the edge stay round.
const CLIP_PAD: f64 = 6.0;
/// Lines are thinned to points at least this many pixels apart.
const MIN_SEGMENT_PX: f64 = 0.75;

/// Escapes text for HTML and SVG (element content and quoted attributes).
///
/// Control characters other than tab and newline, which XML forbids, become
/// U+FFFD.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' => out.push(c),
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// A number for people: at most 4 significant digits, no trailing zeros,
/// scientific notation below 0.001 and from 100,000 (`1e-4`, `2.5e6`), `n/a`
/// when not finite.
pub fn format_number(v: f64) -> String {
    if !v.is_finite() {
        return "n/a".to_owned();
    }
    if v == 0.0 {
        return "0".to_owned();
    }
    let a = v.abs();
    if !(1e-3..1e5).contains(&a) {
        let s = format!("{v:.3e}");
        let (mantissa, exponent) = s.split_once('e').unwrap_or((&s, "0"));
        return format!("{}e{exponent}", trim_zeros(mantissa));
    }
    let decimals = (3 - a.log10().floor() as i32).clamp(0, 6) as usize;
    let s = trim_zeros(&format!("{v:.decimals$}"));
    if s == "-0" {
        "0".to_owned()
    } else {
        s
    }
}

/// `"1.500"` → `"1.5"`, `"2.000"` → `"2"`; leaves integers alone.
fn trim_zeros(s: &str) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s.to_owned()
    }
}

/// A pixel coordinate or length, with one decimal.
fn px(v: f64) -> String {
    let s = format!("{v:.1}");
    if s == "-0.0" {
        "0.0".to_owned()
    } else {
        s
    }
}

/// Estimated width in pixels of `text` at `font` size.
fn text_width(text: &str, font: f64) -> f64 {
    text.chars().count() as f64 * font * CHAR_WIDTH
}

/// `text` cut to at most `max_chars` characters, with `…` when cut.
fn truncate(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        text.to_owned()
    } else {
        let mut s: String = text.chars().take(max_chars.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

/// A CSS colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Color(pub &'static str);

impl Color {
    /// Blue: the main series (won leads, the model, positive weights).
    pub const BLUE: Color = Color("#2563eb");
    /// Orange: the contrasting series (lost leads, negative weights); tells
    /// apart from blue for colour-blind readers.
    pub const ORANGE: Color = Color("#ea580c");
    /// Green.
    pub const GREEN: Color = Color("#059669");
    /// Purple.
    pub const PURPLE: Color = Color("#7c3aed");
    /// Red: highlights (a chosen point).
    pub const RED: Color = Color("#dc2626");
    /// Grey: baselines and references.
    pub const GREY: Color = Color("#9ca3af");
    /// Series colours in order of use.
    pub const PALETTE: [Color; 5] = [Color::BLUE, Color::ORANGE, Color::GREEN, Color::PURPLE, Color::RED];

    /// The `i`-th palette colour, cycling.
    pub fn palette(i: usize) -> Color {
        Color::PALETTE[i % Color::PALETTE.len()]
    }
}

/// How a series' line is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Line {
    /// No line (a scatter series).
    None,
    /// A solid line.
    Solid,
    /// A dashed line (baselines, references).
    Dashed,
}

/// How a series looks.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Style {
    /// Line and marker colour.
    pub color: Color,
    /// Line kind.
    pub line: Line,
    /// Line width in pixels.
    pub width: f64,
    /// Marker radius in pixels at every point, `None` for no markers.
    pub marker: Option<f64>,
}

impl Style {
    /// A solid 2px line without markers.
    pub fn line(color: Color) -> Style {
        Style { color, line: Line::Solid, width: 2.0, marker: None }
    }

    /// A dashed 1.5px line without markers.
    pub fn dashed(color: Color) -> Style {
        Style { color, line: Line::Dashed, width: 1.5, marker: None }
    }

    /// Markers of `radius` pixels only (a scatter series).
    pub fn markers(color: Color, radius: f64) -> Style {
        Style { color, line: Line::None, width: 0.0, marker: Some(radius) }
    }

    /// This style with markers of `radius` pixels added.
    pub fn with_markers(self, radius: f64) -> Style {
        Style { marker: Some(radius), ..self }
    }
}

/// One named series of (x, y) points.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// Legend name; an empty name keeps the series out of the legend.
    pub name: String,
    /// Points in drawing order.
    pub points: Vec<(f64, f64)>,
    /// Look.
    pub style: Style,
    /// Relative marker areas, one per point (e.g. counts); empty = all equal.
    /// The largest gets the style's radius, the others the same area ratio.
    pub sizes: Vec<f64>,
    /// Hover text of each point's marker; empty = `name: (x, y)`.
    pub tooltips: Vec<String>,
}

impl Series {
    /// A series with equal markers and default tooltips.
    pub fn new(name: impl Into<String>, points: Vec<(f64, f64)>, style: Style) -> Series {
        Series { name: name.into(), points, style, sizes: Vec::new(), tooltips: Vec::new() }
    }

    /// Sets the relative marker areas.
    pub fn sizes(mut self, sizes: Vec<f64>) -> Series {
        self.sizes = sizes;
        self
    }

    /// Sets the hover text of each marker.
    pub fn tooltips(mut self, tooltips: Vec<String>) -> Series {
        self.tooltips = tooltips;
        self
    }
}

/// How tick labels are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TickFormat {
    /// Plain numbers with as many decimals as the ticks need.
    Number,
    /// Shares as percentages (`0.25` → `25%`).
    Percent,
}

/// One axis: its label, scale and range.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    /// Label under (x) or beside (y) the axis.
    pub label: String,
    /// Logarithmic (base 10) scale; values `<= 0` are then not drawn.
    pub log: bool,
    /// Fixed range; `None` = from the data, widened to nice ticks.
    pub range: Option<(f64, f64)>,
    /// Tick label format.
    pub format: TickFormat,
}

impl Axis {
    /// A linear axis ranged from the data, with plain number ticks.
    pub fn new(label: impl Into<String>) -> Axis {
        Axis { label: label.into(), log: false, range: None, format: TickFormat::Number }
    }

    /// Makes the scale logarithmic.
    pub fn log(mut self) -> Axis {
        self.log = true;
        self
    }

    /// Fixes the range to `[low, high]`.
    pub fn range(mut self, low: f64, high: f64) -> Axis {
        self.range = Some((low, high));
        self
    }

    /// Writes ticks as percentages.
    pub fn percent(mut self) -> Axis {
        self.format = TickFormat::Percent;
        self
    }
}

/// A chart of lines and/or markers on two numeric axes (also the scatter plot).
#[derive(Clone, Debug, PartialEq)]
pub struct LineChart {
    /// Title above the chart.
    pub title: String,
    /// Horizontal axis.
    pub x: Axis,
    /// Vertical axis.
    pub y: Axis,
    /// Series, drawn in order (later on top).
    pub series: Vec<Series>,
}

impl LineChart {
    /// An empty chart.
    pub fn new(title: impl Into<String>, x: Axis, y: Axis) -> LineChart {
        LineChart { title: title.into(), x, y, series: Vec::new() }
    }

    /// Adds a series.
    pub fn series(mut self, series: Series) -> LineChart {
        self.series.push(series);
        self
    }

    /// The chart as one `<svg>` element of `width` × `height` pixels.
    pub fn to_svg(&self, width: u32, height: u32) -> String {
        let legend: Vec<LegendEntry> = self
            .series
            .iter()
            .filter(|s| !s.name.is_empty())
            .map(|s| LegendEntry {
                name: s.name.clone(),
                color: s.style.color,
                swatch: match (s.style.line, s.style.marker) {
                    (Line::None, _) => Swatch::Dot,
                    (Line::Dashed, _) => Swatch::Dashed,
                    (Line::Solid, _) => Swatch::Line,
                },
            })
            .collect();
        let xs = self.series.iter().flat_map(|s| s.points.iter().map(|p| p.0));
        let ys = self.series.iter().flat_map(|s| s.points.iter().map(|p| p.1));
        let x = domain(&self.x, xs, false);
        let y = domain(&self.y, ys, false);
        let mut frame = Frame::new(width, height, &self.title, &legend, &y, &self.y);
        frame.axes(&x, &self.x, &y, &self.y);
        let (sx, sy) = frame.scales(&x, &y);
        frame.open_clip();
        for series in &self.series {
            frame.draw_series(series, &sx, &sy);
        }
        frame.close_clip();
        frame.finish()
    }
}

/// One series of a [`Histogram`]: a value per bin.
#[derive(Clone, Debug, PartialEq)]
pub struct HistogramSeries {
    /// Legend name.
    pub name: String,
    /// Fill and outline colour.
    pub color: Color,
    /// One value (count or share) per bin.
    pub values: Vec<f64>,
}

/// Overlaid histograms over shared bins: translucent bars with a step outline
/// per series, so several distributions can be compared.
#[derive(Clone, Debug, PartialEq)]
pub struct Histogram {
    /// Title above the chart.
    pub title: String,
    /// Horizontal axis (the binned quantity); its range defaults to the edges.
    pub x: Axis,
    /// Vertical axis (count or share); always includes 0.
    pub y: Axis,
    /// Bin edges, ascending: `n + 1` edges for `n` bins.
    pub edges: Vec<f64>,
    /// Series; values beyond the bins are ignored.
    pub series: Vec<HistogramSeries>,
}

impl Histogram {
    /// The chart as one `<svg>` element of `width` × `height` pixels.
    pub fn to_svg(&self, width: u32, height: u32) -> String {
        let legend: Vec<LegendEntry> = self
            .series
            .iter()
            .filter(|s| !s.name.is_empty())
            .map(|s| LegendEntry { name: s.name.clone(), color: s.color, swatch: Swatch::Box })
            .collect();
        let mut x_axis = self.x.clone();
        if x_axis.range.is_none() {
            if let (Some(&lo), Some(&hi)) = (self.edges.first(), self.edges.last()) {
                if lo.is_finite() && hi.is_finite() && lo < hi {
                    x_axis.range = Some((lo, hi));
                }
            }
        }
        let x = domain(&x_axis, self.edges.iter().copied(), false);
        let ys = self.series.iter().flat_map(|s| s.values.iter().copied());
        let y = domain(&self.y, ys, true);
        let mut frame = Frame::new(width, height, &self.title, &legend, &y, &self.y);
        frame.axes(&x, &x_axis, &y, &self.y);
        let (sx, sy) = frame.scales(&x, &y);
        frame.open_clip();
        let base = sy.map(0.0).unwrap_or(frame.bottom);
        for s in &self.series {
            let color = escape(s.color.0);
            let mut outline: Vec<(f64, f64)> = Vec::new();
            for (&v, edge) in s.values.iter().zip(self.edges.windows(2)) {
                let (Some(x0), Some(x1), Some(yv)) = (sx.map(edge[0]), sx.map(edge[1]), sy.map(v)) else {
                    continue;
                };
                let top = yv.min(base);
                let _ = write!(
                    frame.out,
                    "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{color}\" fill-opacity=\"0.3\"><title>{}</title></rect>",
                    px(x0),
                    px(top),
                    px((x1 - x0).max(0.0)),
                    px((yv - base).abs()),
                    escape(&format!(
                        "{}: [{}, {}): {}",
                        s.name,
                        format_number(edge[0]),
                        format_number(edge[1]),
                        tick_value(v, self.y.format)
                    )),
                );
                if outline.is_empty() {
                    outline.push((x0, base));
                }
                outline.push((x0, yv));
                outline.push((x1, yv));
            }
            if let Some(&(x_end, _)) = outline.last() {
                outline.push((x_end, base));
            }
            if outline.len() >= 2 {
                let _ = write!(
                    frame.out,
                    "<polyline points=\"{}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"1.5\"/>",
                    polyline_points(&outline, false)
                );
            }
        }
        frame.close_clip();
        frame.finish()
    }
}

/// Which way bars grow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Orientation {
    /// Categories down the left, bars growing right (long labels fit).
    Horizontal,
    /// Categories along the bottom, bars growing up.
    Vertical,
}

/// One series of a [`BarChart`]: a value per category.
#[derive(Clone, Debug, PartialEq)]
pub struct BarSeries {
    /// Legend name; an empty name keeps the series out of the legend.
    pub name: String,
    /// Bar colour.
    pub color: Color,
    /// One value per category; missing or non-finite values draw no bar.
    pub values: Vec<f64>,
}

/// Bars per category, grouped side by side when there are several series.
#[derive(Clone, Debug, PartialEq)]
pub struct BarChart {
    /// Title above the chart.
    pub title: String,
    /// The value axis (always includes 0).
    pub value_axis: Axis,
    /// Category labels: top to bottom (horizontal) or left to right (vertical).
    pub categories: Vec<String>,
    /// Series.
    pub series: Vec<BarSeries>,
    /// Which way bars grow.
    pub orientation: Orientation,
    /// Legend name and colour of bars below zero (e.g. "lowers the odds");
    /// `None` = negative bars keep their series colour.
    pub negative: Option<(String, Color)>,
    /// Writes each bar's value at its end.
    pub show_values: bool,
}

impl BarChart {
    /// A chart without series, horizontal, values shown.
    pub fn new(title: impl Into<String>, value_axis: Axis, categories: Vec<String>) -> BarChart {
        BarChart {
            title: title.into(),
            value_axis,
            categories,
            series: Vec::new(),
            orientation: Orientation::Horizontal,
            negative: None,
            show_values: true,
        }
    }

    /// Adds a series.
    pub fn series(mut self, series: BarSeries) -> BarChart {
        self.series.push(series);
        self
    }

    /// The chart as one `<svg>` element of `width` × `height` pixels.
    pub fn to_svg(&self, width: u32, height: u32) -> String {
        let mut legend: Vec<LegendEntry> = self
            .series
            .iter()
            .filter(|s| !s.name.is_empty())
            .map(|s| LegendEntry { name: s.name.clone(), color: s.color, swatch: Swatch::Box })
            .collect();
        if let Some((name, color)) = &self.negative {
            legend.push(LegendEntry { name: name.clone(), color: *color, swatch: Swatch::Box });
        }
        let values = || self.series.iter().flat_map(|s| s.values.iter().copied());
        let mut value = domain(&self.value_axis, values(), true);
        if self.show_values && self.value_axis.range.is_none() {
            // Room for the value labels at the bar ends.
            let span = value.hi - value.lo;
            if values().any(|v| v < 0.0) {
                value.lo -= 0.12 * span;
            }
            if values().any(|v| v > 0.0) {
                value.hi += 0.12 * span;
            }
        }
        let n = self.categories.len().max(1) as f64;
        let k = self.series.len().max(1) as f64;
        match self.orientation {
            Orientation::Horizontal => {
                let max_chars = ((f64::from(width) * 0.42) / (LABEL_FONT * CHAR_WIDTH)) as usize;
                let labels: Vec<String> = self.categories.iter().map(|c| truncate(c, max_chars.max(4))).collect();
                let label_px = labels.iter().map(|l| text_width(l, LABEL_FONT)).fold(0.0, f64::max);
                let mut frame = Frame::bare(width, height, &self.title, &legend, label_px + 14.0);
                let sx = Scale::new(&value, frame.left, frame.right);
                frame.value_axis_x(&value, &self.value_axis, &sx);
                let band = (frame.bottom - frame.top) / n;
                for (i, (label, full)) in labels.iter().zip(&self.categories).enumerate() {
                    let cy = frame.top + band * (i as f64 + 0.5);
                    let _ = write!(
                        frame.out,
                        "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" dominant-baseline=\"middle\" font-size=\"{LABEL_FONT}\" fill=\"{TEXT}\"><title>{}</title>{}</text>",
                        px(frame.left - 8.0),
                        px(cy),
                        escape(full),
                        escape(label)
                    );
                }
                let thick = band * 0.72 / k;
                let zero = sx.map(0.0).unwrap_or(frame.left);
                for (j, s) in self.series.iter().enumerate() {
                    for (i, &v) in s.values.iter().enumerate().take(self.categories.len()) {
                        let Some(end) = sx.map(v) else { continue };
                        let y0 = frame.top + band * (i as f64 + 0.14) + thick * j as f64;
                        let color = self.bar_color(s, v);
                        let tip = format!("{}{}{}", self.categories[i], sep(&s.name), format_number(v));
                        let _ = write!(
                            frame.out,
                            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"><title>{}</title></rect>",
                            px(zero.min(end)),
                            px(y0),
                            px((end - zero).abs()),
                            px(thick),
                            escape(color.0),
                            escape(&tip)
                        );
                        if self.show_values {
                            let (x, anchor) = if v < 0.0 { (end - 4.0, "end") } else { (end + 4.0, "start") };
                            let _ = write!(
                                frame.out,
                                "<text x=\"{}\" y=\"{}\" text-anchor=\"{anchor}\" dominant-baseline=\"middle\" font-size=\"{TICK_FONT}\" fill=\"{TEXT}\">{}</text>",
                                px(x),
                                px(y0 + thick / 2.0),
                                escape(&tick_value(v, self.value_axis.format))
                            );
                        }
                    }
                }
                frame.zero_line_x(&sx);
                frame.finish()
            }
            Orientation::Vertical => {
                let labels_y = format_ticks(&value.ticks, value.log, self.value_axis.format);
                let label_px = labels_y.iter().map(|l| text_width(l, TICK_FONT)).fold(0.0, f64::max);
                let left = label_px + 12.0 + if self.value_axis.label.is_empty() { 0.0 } else { 20.0 };
                let mut frame = Frame::bare(width, height, &self.title, &legend, left);
                let sy = Scale::new(&value, frame.bottom, frame.top);
                frame.value_axis_y(&value, &self.value_axis, &sy, &labels_y);
                let band = (frame.right - frame.left) / n;
                let max_chars = (band / (TICK_FONT * CHAR_WIDTH)) as usize;
                for (i, full) in self.categories.iter().enumerate() {
                    let cx = frame.left + band * (i as f64 + 0.5);
                    let _ = write!(
                        frame.out,
                        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"{TICK_FONT}\" fill=\"{TEXT}\"><title>{}</title>{}</text>",
                        px(cx),
                        px(frame.bottom + 16.0),
                        escape(full),
                        escape(&truncate(full, max_chars.max(3)))
                    );
                }
                let thick = band * 0.72 / k;
                let zero = sy.map(0.0).unwrap_or(frame.bottom);
                for (j, s) in self.series.iter().enumerate() {
                    for (i, &v) in s.values.iter().enumerate().take(self.categories.len()) {
                        let Some(end) = sy.map(v) else { continue };
                        let x0 = frame.left + band * (i as f64 + 0.14) + thick * j as f64;
                        let color = self.bar_color(s, v);
                        let tip = format!("{}{}{}", self.categories[i], sep(&s.name), format_number(v));
                        let _ = write!(
                            frame.out,
                            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"><title>{}</title></rect>",
                            px(x0),
                            px(zero.min(end)),
                            px(thick),
                            px((end - zero).abs()),
                            escape(color.0),
                            escape(&tip)
                        );
                        if self.show_values {
                            let y = if v < 0.0 { end + 12.0 } else { end - 4.0 };
                            let _ = write!(
                                frame.out,
                                "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"{TICK_FONT}\" fill=\"{TEXT}\">{}</text>",
                                px(x0 + thick / 2.0),
                                px(y),
                                escape(&tick_value(v, self.value_axis.format))
                            );
                        }
                    }
                }
                frame.zero_line_y(&sy);
                frame.finish()
            }
        }
    }

    fn bar_color(&self, series: &BarSeries, v: f64) -> Color {
        match &self.negative {
            Some((_, color)) if v < 0.0 => *color,
            _ => series.color,
        }
    }
}

/// A grid of values by row and column label: a pair term's weights. Each cell is coloured
/// by its value (orange above zero, blue below, white at zero; the strength is the value
/// over the largest magnitude in the grid), prints the value and carries a tooltip.
#[derive(Clone, Debug, PartialEq)]
pub struct HeatMap {
    /// Title above the grid.
    pub title: String,
    /// What the rows are (the first feature).
    pub row_label: String,
    /// What the columns are (the second feature).
    pub column_label: String,
    /// Row labels, top to bottom.
    pub rows: Vec<String>,
    /// Column labels, left to right.
    pub columns: Vec<String>,
    /// `values[i][j]`: the cell of row `i` and column `j`.
    pub values: Vec<Vec<f64>>,
    /// A tooltip line per cell (e.g. how many leads it held); empty for none.
    pub notes: Vec<Vec<String>>,
}

/// Width and height of one heat map cell (px).
const CELL: (f64, f64) = (52.0, 24.0);

impl HeatMap {
    /// The grid as one `<svg>` element, sized to its labels and cells.
    pub fn to_svg(&self) -> String {
        let max_chars = 28;
        let row_width = self.rows.iter().map(|r| text_width(&truncate(r, max_chars), TICK_FONT)).fold(0.0, f64::max);
        let col_height =
            self.columns.iter().map(|c| text_width(&truncate(c, max_chars), TICK_FONT)).fold(0.0, f64::max) * 0.71;
        let left = row_width + LABEL_FONT + 16.0;
        let top = TITLE_FONT + 10.0 + LABEL_FONT + 8.0 + col_height + 8.0;
        let (cw, ch) = CELL;
        let width = left + cw * self.columns.len() as f64 + 12.0;
        let height = top + ch * self.rows.len() as f64 + 10.0;
        let largest = self.values.iter().flatten().filter(|v| v.is_finite()).fold(0.0f64, |m, v| m.max(v.abs()));
        let mut out = String::new();
        let _ = write!(
            out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" \
font-family=\"{FONT}\"><title>{t}</title>",
            w = px(width),
            h = px(height),
            t = escape(&self.title)
        );
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" font-size=\"{TITLE_FONT}\" font-weight=\"600\" fill=\"{TEXT}\">{}</text>",
            px(4.0),
            px(TITLE_FONT + 2.0),
            escape(&self.title)
        );
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" font-size=\"{LABEL_FONT}\" fill=\"{AXIS}\">{} →</text>",
            px(left),
            px(TITLE_FONT + 10.0 + LABEL_FONT),
            escape(&self.column_label)
        );
        let _ = write!(
            out,
            "<text transform=\"translate({},{}) rotate(-90)\" font-size=\"{LABEL_FONT}\" fill=\"{AXIS}\" text-anchor=\"end\">{} →</text>",
            px(LABEL_FONT),
            px(top),
            escape(&self.row_label)
        );
        for (j, label) in self.columns.iter().enumerate() {
            let x = left + cw * (j as f64 + 0.5);
            let _ = write!(
                out,
                "<text transform=\"translate({},{}) rotate(-45)\" font-size=\"{TICK_FONT}\" fill=\"{TEXT}\"><title>{}</title>{}</text>",
                px(x),
                px(top - 6.0),
                escape(label),
                escape(&truncate(label, max_chars))
            );
        }
        for (i, label) in self.rows.iter().enumerate() {
            let y = top + ch * (i as f64 + 0.5) + TICK_FONT / 3.0;
            let _ = write!(
                out,
                "<text x=\"{}\" y=\"{}\" font-size=\"{TICK_FONT}\" fill=\"{TEXT}\" text-anchor=\"end\"><title>{}</title>{}</text>",
                px(left - 6.0),
                px(y),
                escape(label),
                escape(&truncate(label, max_chars))
            );
            for j in 0..self.columns.len() {
                let v = self.values.get(i).and_then(|r| r.get(j)).copied().unwrap_or(f64::NAN);
                let strength = if largest > 0.0 && v.is_finite() { (v.abs() / largest).min(1.0) } else { 0.0 };
                let (r, g, b) = if v < 0.0 { (37.0, 99.0, 235.0) } else { (234.0, 88.0, 12.0) };
                let mix = |c: f64| (255.0 + (c - 255.0) * strength).round() as u8;
                let fill = format!("#{:02x}{:02x}{:02x}", mix(r), mix(g), mix(b));
                let ink = if strength > 0.6 { "#ffffff" } else { TEXT };
                let note = self.notes.get(i).and_then(|r| r.get(j)).map_or("", String::as_str);
                let shown = if v.is_finite() { format!("{v:+.2}") } else { "n/a".to_owned() };
                let (x, y0) = (left + cw * j as f64, top + ch * i as f64);
                let tip = format!(
                    "{} = {}, {} = {}: {shown}{}{note}",
                    self.row_label,
                    label,
                    self.column_label,
                    self.columns[j],
                    if note.is_empty() { "" } else { " · " }
                );
                let _ = write!(
                    out,
                    "<g><title>{}</title><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{fill}\" stroke=\"{GRID}\"/>\
<text x=\"{}\" y=\"{}\" font-size=\"{TICK_FONT}\" fill=\"{ink}\" text-anchor=\"middle\">{}</text></g>",
                    escape(&tip),
                    px(x),
                    px(y0),
                    px(cw),
                    px(ch),
                    px(x + cw / 2.0),
                    px(y0 + ch / 2.0 + TICK_FONT / 3.0),
                    escape(&shown)
                );
            }
        }
        out.push_str("</svg>");
        out
    }
}

/// `" · name: "` between a category and a value, or `": "` without a name.
fn sep(name: &str) -> String {
    if name.is_empty() {
        ": ".to_owned()
    } else {
        format!(" · {name}: ")
    }
}

// ---------------------------------------------------------------------------
// Axes and ticks
// ---------------------------------------------------------------------------

/// A resolved axis: its range and tick positions.
#[derive(Clone, Debug, PartialEq)]
struct Domain {
    lo: f64,
    hi: f64,
    log: bool,
    ticks: Vec<f64>,
}

/// 1, 2 or 5 times a power of ten, near `raw` (a tick step or bin width);
/// 1 when `raw` is not a positive number.
pub fn nice_step(raw: f64) -> f64 {
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let exp = raw.log10().floor();
    let base = 10f64.powf(exp);
    let f = raw / base;
    let nice = if f < 1.5 {
        1.0
    } else if f < 3.0 {
        2.0
    } else if f < 7.0 {
        5.0
    } else {
        10.0
    };
    nice * base
}

/// Resolves an axis from its settings and the values to show.
fn domain(axis: &Axis, values: impl Iterator<Item = f64>, include_zero: bool) -> Domain {
    let log = axis.log;
    if let Some((lo, hi)) = axis.range {
        if lo.is_finite() && hi.is_finite() && lo < hi && (!log || lo > 0.0) {
            let ticks = if log { log_ticks(lo, hi) } else { linear_ticks(lo, hi) };
            return Domain { lo, hi, log, ticks };
        }
    }
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite() && (!log || *v > 0.0)) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if log {
        if lo > hi {
            (lo, hi) = (1.0, 10.0);
        }
        let mut l = 10f64.powf(lo.log10().floor());
        let mut h = 10f64.powf(hi.log10().ceil());
        if l >= h {
            l /= 10.0;
            h *= 10.0;
        }
        return Domain { lo: l, hi: h, log, ticks: log_ticks(l, h) };
    }
    if lo > hi {
        (lo, hi) = (0.0, 1.0);
    }
    if include_zero {
        lo = lo.min(0.0);
        hi = hi.max(0.0);
    }
    if lo == hi {
        let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.5 };
        lo -= pad;
        hi += pad;
    }
    let step = nice_step((hi - lo) / 5.0);
    let l = (lo / step).floor() * step;
    let h = (hi / step).ceil() * step;
    Domain { lo: l, hi: h, log, ticks: linear_ticks(l, h) }
}

/// About five nice ticks within `[lo, hi]`.
fn linear_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let step = nice_step((hi - lo) / 5.0);
    let eps = step * 1e-9;
    let mut ticks = Vec::new();
    let mut k = (lo / step - 1e-9).ceil();
    while ticks.len() < 50 {
        let t = k * step;
        if t > hi + eps {
            break;
        }
        ticks.push(if t.abs() < eps { 0.0 } else { t });
        k += 1.0;
    }
    ticks
}

/// Powers of ten within `[lo, hi]` (thinned to at most 8), with 2× and 5×
/// when fewer than three decades fit.
fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let (a, b) = (lo.log10(), hi.log10());
    let first = (a - 1e-9).ceil() as i32;
    let last = (b + 1e-9).floor() as i32;
    let decades: Vec<i32> = (first..=last).collect();
    if decades.len() >= 3 {
        let stride = decades.len().div_ceil(8);
        return decades.iter().step_by(stride).map(|&e| 10f64.powi(e)).collect();
    }
    let mut ticks = Vec::new();
    for e in (first - 1)..=last {
        for m in [1.0, 2.0, 5.0] {
            let t = m * 10f64.powi(e);
            if t >= lo * (1.0 - 1e-9) && t <= hi * (1.0 + 1e-9) {
                ticks.push(t);
            }
        }
    }
    ticks
}

/// Tick labels with as many decimals as the ticks need (at most 6).
fn format_ticks(ticks: &[f64], log: bool, format: TickFormat) -> Vec<String> {
    let scale = if format == TickFormat::Percent { 100.0 } else { 1.0 };
    let suffix = if format == TickFormat::Percent { "%" } else { "" };
    if log || ticks.iter().any(|t| t.abs() * scale >= 1e5) {
        return ticks.iter().map(|t| format!("{}{suffix}", format_number(t * scale))).collect();
    }
    let decimals = (0..=6usize)
        .find(|&d| {
            let f = 10f64.powi(d as i32);
            ticks.iter().all(|t| {
                let v = t * scale * f;
                (v - v.round()).abs() < 1e-6 * f.max(1.0)
            })
        })
        .unwrap_or(6);
    ticks
        .iter()
        .map(|t| {
            let s = format!("{:.decimals$}", t * scale);
            let s = if s.starts_with('-') && s.trim_start_matches(['-', '0', '.']).is_empty() {
                s.trim_start_matches('-').to_owned()
            } else {
                s
            };
            format!("{s}{suffix}")
        })
        .collect()
}

/// One value written as its axis writes values (for bar labels and tooltips).
fn tick_value(v: f64, format: TickFormat) -> String {
    match format {
        TickFormat::Number => format_number(v),
        TickFormat::Percent => format!("{}%", format_number(((v * 1000.0).round()) / 10.0)),
    }
}

/// Maps data values to pixels along one axis.
#[derive(Clone, Copy, Debug)]
struct Scale {
    lo: f64,
    hi: f64,
    log: bool,
    from: f64,
    to: f64,
}

impl Scale {
    fn new(d: &Domain, from: f64, to: f64) -> Scale {
        let (lo, hi) = if d.log { (d.lo.log10(), d.hi.log10()) } else { (d.lo, d.hi) };
        Scale { lo, hi, log: d.log, from, to }
    }

    /// Pixel of `v`, `None` when it cannot be drawn.
    fn map(&self, v: f64) -> Option<f64> {
        if !v.is_finite() || (self.log && v <= 0.0) {
            return None;
        }
        let v = if self.log { v.log10() } else { v };
        let span = self.hi - self.lo;
        if span == 0.0 || !span.is_finite() {
            return None;
        }
        Some(self.from + (v - self.lo) / span * (self.to - self.from))
    }
}

/// Points as an SVG `points` attribute, thinned to [`MIN_SEGMENT_PX`] apart
/// when `thin` (first and last always kept).
fn polyline_points(points: &[(f64, f64)], thin: bool) -> String {
    let mut kept: Vec<(f64, f64)> = Vec::with_capacity(points.len());
    for (i, &p) in points.iter().enumerate() {
        let is_last = i + 1 == points.len();
        match kept.last() {
            Some(&q) if thin && !is_last && (p.0 - q.0).hypot(p.1 - q.1) < MIN_SEGMENT_PX => {}
            _ => kept.push(p),
        }
    }
    kept.iter().map(|(x, y)| format!("{},{}", px(*x), px(*y))).collect::<Vec<_>>().join(" ")
}

// ---------------------------------------------------------------------------
// Frame: title, legend, axes
// ---------------------------------------------------------------------------

/// What a legend entry's sample looks like.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Swatch {
    Line,
    Dashed,
    Dot,
    Box,
}

#[derive(Clone, Debug, PartialEq)]
struct LegendEntry {
    name: String,
    color: Color,
    swatch: Swatch,
}

/// Width of one legend entry.
fn legend_width(entry: &LegendEntry) -> f64 {
    22.0 + text_width(&entry.name, LABEL_FONT) + 16.0
}

/// The SVG being written and the plot rectangle inside it.
struct Frame {
    out: String,
    height: f64,
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
}

impl Frame {
    /// Opens the SVG with title and legend; the plot area's left edge leaves
    /// room for the y tick labels and label.
    fn new(width: u32, height: u32, title: &str, legend: &[LegendEntry], y: &Domain, y_axis: &Axis) -> Frame {
        let labels = format_ticks(&y.ticks, y.log, y_axis.format);
        let label_px = labels.iter().map(|l| text_width(l, TICK_FONT)).fold(0.0, f64::max);
        let left = label_px + 12.0 + if y_axis.label.is_empty() { 0.0 } else { 20.0 };
        Frame::bare(width, height, title, legend, left)
    }

    /// Opens the SVG with title and legend and a plot area starting at `left`.
    fn bare(width: u32, height: u32, title: &str, legend: &[LegendEntry], left: f64) -> Frame {
        let (w, h) = (f64::from(width.max(120)), f64::from(height.max(100)));
        let mut out = String::new();
        let _ = write!(
            out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" font-family=\"{FONT}\" role=\"img\" aria-label=\"{}\">",
            escape(title)
        );
        let _ = write!(out, "<rect width=\"{w}\" height=\"{h}\" fill=\"#ffffff\"/>");
        let mut y = 8.0;
        if !title.is_empty() {
            let _ = write!(
                out,
                "<text x=\"12\" y=\"20\" font-size=\"{TITLE_FONT}\" font-weight=\"600\" fill=\"{TEXT}\">{}</text>",
                escape(title)
            );
            y = 30.0;
        }
        // Legend rows under the title, wrapping at the chart width.
        let mut x = 12.0;
        let mut row_y = y + 10.0;
        for entry in legend {
            let wdt = legend_width(entry);
            if x > 12.0 && x + wdt > w - 8.0 {
                x = 12.0;
                row_y += 18.0;
            }
            let color = escape(entry.color.0);
            match entry.swatch {
                Swatch::Line | Swatch::Dashed => {
                    let dash = if entry.swatch == Swatch::Dashed { " stroke-dasharray=\"5 3\"" } else { "" };
                    let _ = write!(
                        out,
                        "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{color}\" stroke-width=\"2\"{dash}/>",
                        px(x),
                        px(row_y),
                        px(x + 18.0),
                        px(row_y)
                    );
                }
                Swatch::Dot => {
                    let _ =
                        write!(out, "<circle cx=\"{}\" cy=\"{}\" r=\"4\" fill=\"{color}\"/>", px(x + 9.0), px(row_y));
                }
                Swatch::Box => {
                    let _ = write!(
                        out,
                        "<rect x=\"{}\" y=\"{}\" width=\"14\" height=\"10\" fill=\"{color}\" fill-opacity=\"0.8\"/>",
                        px(x + 2.0),
                        px(row_y - 5.0)
                    );
                }
            }
            let _ = write!(
                out,
                "<text x=\"{}\" y=\"{}\" dominant-baseline=\"middle\" font-size=\"{LABEL_FONT}\" fill=\"{TEXT}\">{}</text>",
                px(x + 22.0),
                px(row_y),
                escape(&entry.name)
            );
            x += wdt;
        }
        let top = if legend.is_empty() { y + 10.0 } else { row_y + 16.0 };
        let right = (w - 16.0).max(left + 10.0);
        let bottom = (h - 44.0).max(top + 10.0);
        Frame { out, height: h, left, right, top, bottom }
    }

    fn scales(&self, x: &Domain, y: &Domain) -> (Scale, Scale) {
        (Scale::new(x, self.left, self.right), Scale::new(y, self.bottom, self.top))
    }

    /// Grid, ticks, tick labels and axis labels of a two-numeric-axes chart.
    fn axes(&mut self, x: &Domain, x_axis: &Axis, y: &Domain, y_axis: &Axis) {
        let (sx, sy) = self.scales(x, y);
        self.value_axis_x(x, x_axis, &sx);
        let labels = format_ticks(&y.ticks, y.log, y_axis.format);
        self.value_axis_y(y, y_axis, &sy, &labels);
    }

    /// Vertical grid lines, ticks and labels along the bottom, and the x label.
    fn value_axis_x(&mut self, d: &Domain, axis: &Axis, sx: &Scale) {
        let labels = format_ticks(&d.ticks, d.log, axis.format);
        for (t, label) in d.ticks.iter().zip(&labels) {
            let Some(x) = sx.map(*t) else { continue };
            let _ = write!(
                self.out,
                "<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"{GRID}\"/><line x1=\"{0}\" y1=\"{2}\" x2=\"{0}\" y2=\"{3}\" stroke=\"{AXIS}\"/><text x=\"{0}\" y=\"{4}\" text-anchor=\"middle\" font-size=\"{TICK_FONT}\" fill=\"{AXIS}\">{5}</text>",
                px(x),
                px(self.top),
                px(self.bottom),
                px(self.bottom + 4.0),
                px(self.bottom + 16.0),
                escape(label)
            );
        }
        let _ = write!(
            self.out,
            "<line x1=\"{}\" y1=\"{2}\" x2=\"{}\" y2=\"{2}\" stroke=\"{AXIS}\"/>",
            px(self.left),
            px(self.right),
            px(self.bottom)
        );
        if !axis.label.is_empty() {
            let _ = write!(
                self.out,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"{LABEL_FONT}\" fill=\"{TEXT}\">{}</text>",
                px((self.left + self.right) / 2.0),
                px(self.height - 10.0),
                escape(&axis.label)
            );
        }
    }

    /// Horizontal grid lines, ticks and labels along the left, and the y label.
    fn value_axis_y(&mut self, d: &Domain, axis: &Axis, sy: &Scale, labels: &[String]) {
        for (t, label) in d.ticks.iter().zip(labels) {
            let Some(y) = sy.map(*t) else { continue };
            let _ = write!(
                self.out,
                "<line x1=\"{1}\" y1=\"{0}\" x2=\"{2}\" y2=\"{0}\" stroke=\"{GRID}\"/><line x1=\"{3}\" y1=\"{0}\" x2=\"{1}\" y2=\"{0}\" stroke=\"{AXIS}\"/><text x=\"{4}\" y=\"{0}\" text-anchor=\"end\" dominant-baseline=\"middle\" font-size=\"{TICK_FONT}\" fill=\"{AXIS}\">{5}</text>",
                px(y),
                px(self.left),
                px(self.right),
                px(self.left - 4.0),
                px(self.left - 6.0),
                escape(label)
            );
        }
        let _ = write!(
            self.out,
            "<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"{AXIS}\"/>",
            px(self.left),
            px(self.top),
            px(self.bottom)
        );
        if !axis.label.is_empty() {
            let cy = (self.top + self.bottom) / 2.0;
            let _ = write!(
                self.out,
                "<text x=\"14\" y=\"{0}\" transform=\"rotate(-90 14 {0})\" text-anchor=\"middle\" dominant-baseline=\"middle\" font-size=\"{LABEL_FONT}\" fill=\"{TEXT}\">{1}</text>",
                px(cy),
                escape(&axis.label)
            );
        }
    }

    /// A darker vertical line at x = 0 when 0 is inside the range.
    fn zero_line_x(&mut self, sx: &Scale) {
        if let Some(x) = sx.map(0.0).filter(|x| *x > self.left + 0.5 && *x <= self.right) {
            let _ = write!(
                self.out,
                "<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"{AXIS}\"/>",
                px(x),
                px(self.top),
                px(self.bottom)
            );
        }
    }

    /// A darker horizontal line at y = 0 when 0 is inside the range.
    fn zero_line_y(&mut self, sy: &Scale) {
        if let Some(y) = sy.map(0.0).filter(|y| *y < self.bottom - 0.5 && *y >= self.top) {
            let _ = write!(
                self.out,
                "<line x1=\"{1}\" y1=\"{0}\" x2=\"{2}\" y2=\"{0}\" stroke=\"{AXIS}\"/>",
                px(y),
                px(self.left),
                px(self.right)
            );
        }
    }

    /// Starts a nested viewport that clips drawing to the plot area (plus a
    /// small pad), without ids that could clash between charts on one page.
    fn open_clip(&mut self) {
        let (x, y) = (self.left - CLIP_PAD, self.top - CLIP_PAD);
        let (w, h) = (self.right - self.left + 2.0 * CLIP_PAD, self.bottom - self.top + 2.0 * CLIP_PAD);
        let _ = write!(
            self.out,
            "<svg x=\"{0}\" y=\"{1}\" width=\"{2}\" height=\"{3}\" viewBox=\"{0} {1} {2} {3}\" overflow=\"hidden\">",
            px(x),
            px(y),
            px(w),
            px(h)
        );
    }

    fn close_clip(&mut self) {
        self.out.push_str("</svg>");
    }

    /// One series' line and markers.
    fn draw_series(&mut self, series: &Series, sx: &Scale, sy: &Scale) {
        let color = escape(series.style.color.0);
        let mapped: Vec<Option<(f64, f64)>> =
            series.points.iter().map(|&(x, y)| Some((sx.map(x)?, sy.map(y)?))).collect();
        if series.style.line != Line::None {
            let dash = if series.style.line == Line::Dashed { " stroke-dasharray=\"6 4\"" } else { "" };
            // A point that cannot be drawn breaks the line.
            for run in mapped.split(Option::is_none) {
                let run: Vec<(f64, f64)> = run.iter().flatten().copied().collect();
                if run.len() < 2 {
                    continue;
                }
                let _ = write!(
                    self.out,
                    "<polyline points=\"{}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"{}\" stroke-linejoin=\"round\"{dash}/>",
                    polyline_points(&run, true),
                    px(series.style.width)
                );
            }
        }
        let Some(radius) = series.style.marker else {
            return;
        };
        let max_size = series.sizes.iter().copied().filter(|s| s.is_finite() && *s > 0.0).fold(0.0, f64::max);
        for (i, (point, raw)) in mapped.iter().zip(&series.points).enumerate() {
            let Some((x, y)) = point else { continue };
            let r = match series.sizes.get(i) {
                Some(&s) if max_size > 0.0 && s.is_finite() && s > 0.0 => (radius * (s / max_size).sqrt()).max(2.0),
                Some(_) if max_size > 0.0 => 2.0,
                _ => radius,
            };
            let tip = series.tooltips.get(i).cloned().unwrap_or_else(|| {
                let name = if series.name.is_empty() { String::new() } else { format!("{}: ", series.name) };
                format!("{name}({}, {})", format_number(raw.0), format_number(raw.1))
            });
            let _ = write!(
                self.out,
                "<circle cx=\"{}\" cy=\"{}\" r=\"{}\" fill=\"{color}\" fill-opacity=\"0.75\" stroke=\"#ffffff\" stroke-width=\"1\"><title>{}</title></circle>",
                px(*x),
                px(*y),
                px(r),
                escape(&tip)
            );
        }
    }

    /// The plot border, and the closing tag.
    fn finish(mut self) -> String {
        let _ = write!(
            self.out,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"{GRID}\"/></svg>",
            px(self.left),
            px(self.top),
            px(self.right - self.left),
            px(self.bottom - self.top)
        );
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roc_like() -> LineChart {
        LineChart::new(
            "ROC",
            Axis::new("false positive rate").range(0.0, 1.0),
            Axis::new("true positive rate").range(0.0, 1.0),
        )
        .series(Series::new("model", vec![(0.0, 0.0), (0.5, 1.0), (1.0, 1.0)], Style::line(Color::BLUE)))
        .series(Series::new("random", vec![(0.0, 0.0), (1.0, 1.0)], Style::dashed(Color::GREY)))
    }

    #[test]
    fn line_chart_has_expected_points_ticks_and_labels() {
        let svg = roc_like().to_svg(400, 300);
        // Layout: legend under the title puts the plot top at 30 + 10 + 16 = 56,
        // bottom at 300 - 44 = 256, right at 400 - 16 = 384. Y tick labels are
        // "0.0" .. "1.0" (3 chars * 11 * 0.6 = 19.8 px) + 12 + 20 = left 51.8.
        // x = 0.5 -> 51.8 + 0.5 * (384 - 51.8) = 217.9; y = 1 -> 56.
        assert!(svg.contains("points=\"51.8,256.0 217.9,56.0 384.0,56.0\""), "{svg}");
        assert!(svg.contains("stroke-dasharray=\"6 4\""));
        for label in [">false positive rate<", ">true positive rate<", ">ROC<", ">model<", ">random<", ">0.2<", ">1.0<"]
        {
            assert!(svg.contains(label), "missing {label}");
        }
        assert!(svg.starts_with("<svg ") && svg.ends_with("</svg>"));
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
    }

    #[test]
    fn data_text_is_escaped() {
        let chart = LineChart::new("<script>alert(1)</script>", Axis::new("a & b"), Axis::new("\"quoted\""))
            .series(Series::new("Lead Source = <b>'x'</b>", vec![(1.0, 2.0)], Style::markers(Color::RED, 4.0)));
        let svg = chart.to_svg(300, 200);
        assert!(!svg.contains("<script>") && !svg.contains("<b>"));
        assert!(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(svg.contains("a &amp; b") && svg.contains("&quot;quoted&quot;"));
        assert!(svg.contains("Lead Source = &lt;b&gt;&#39;x&#39;&lt;/b&gt;"));
        let bars = BarChart::new("t", Axis::new("w"), vec!["<img src=x>".into()]).series(BarSeries {
            name: "s".into(),
            color: Color::BLUE,
            values: vec![1.0],
        });
        let svg = bars.to_svg(300, 200);
        assert!(!svg.contains("<img") && svg.contains("&lt;img src=x&gt;"));
        assert_eq!(escape("a\u{0}b\tc"), "a\u{FFFD}b\tc");
    }

    #[test]
    fn output_is_deterministic() {
        assert_eq!(roc_like().to_svg(500, 350), roc_like().to_svg(500, 350));
    }

    #[test]
    fn non_finite_and_log_invalid_points_are_skipped() {
        let chart = LineChart::new("", Axis::new("l2").log(), Axis::new("loss")).series(Series::new(
            "cv",
            vec![(0.0, 1.0), (0.01, 0.5), (f64::NAN, 0.4), (0.1, 0.45), (1.0, f64::INFINITY), (10.0, 0.6)],
            Style::line(Color::BLUE).with_markers(3.0),
        ));
        let svg = chart.to_svg(400, 300);
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
        // Three drawable markers: 0.01, 0.1 and 10.
        assert_eq!(svg.matches("<circle").count(), 3);
        // Log ticks are decades 0.01 .. 10.
        for label in [">0.01<", ">0.1<", ">1<", ">10<"] {
            assert!(svg.contains(label), "missing {label}");
        }
    }

    #[test]
    fn ticks_are_nice() {
        assert_eq!(linear_ticks(0.0, 1.0), vec![0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0]);
        assert_eq!(
            format_ticks(&linear_ticks(0.0, 1.0), false, TickFormat::Percent),
            ["0%", "20%", "40%", "60%", "80%", "100%"]
        );
        assert_eq!(format_ticks(&[0.0, 0.05, 0.1], false, TickFormat::Number), ["0.00", "0.05", "0.10"]);
        assert_eq!(log_ticks(1e-4, 1e2).len(), 7);
        assert_eq!(log_ticks(0.1, 1.0), vec![0.1, 0.2, 0.5, 1.0]);
        // Widened to whole steps of 0.1 (a fifth of the span, rounded to 1-2-5).
        let d = domain(&Axis::new(""), [0.13, 0.87].into_iter(), false);
        assert_eq!((d.lo, d.hi), (0.1, 0.9));
        let d = domain(&Axis::new(""), [-2.5, 1.2].into_iter(), true);
        assert!(d.lo <= -2.5 && d.hi >= 1.2 && d.ticks.contains(&0.0));
        // No data at all still gives a usable axis.
        let d = domain(&Axis::new(""), std::iter::empty(), false);
        assert_eq!((d.lo, d.hi), (0.0, 1.0));
    }

    #[test]
    fn numbers_are_compact() {
        assert_eq!(format_number(0.0), "0");
        assert_eq!(format_number(0.81234), "0.8123");
        assert_eq!(format_number(12.5), "12.5");
        assert_eq!(format_number(-3.0), "-3");
        assert_eq!(format_number(1e-4), "1e-4");
        assert_eq!(format_number(2_500_000.0), "2.5e6");
        assert_eq!(format_number(f64::NAN), "n/a");
        assert_eq!(format_number(-0.00001), "-1e-5");
    }

    #[test]
    fn histogram_draws_bins_and_outline() {
        let h = Histogram {
            title: "scores".into(),
            x: Axis::new("probability"),
            y: Axis::new("leads"),
            edges: vec![0.0, 0.5, 1.0],
            series: vec![HistogramSeries { name: "won".into(), color: Color::BLUE, values: vec![1.0, 3.0] }],
        };
        let svg = h.to_svg(400, 300);
        assert_eq!(svg.matches("fill-opacity=\"0.3\"").count(), 2);
        assert!(svg.contains("<polyline"));
        assert!(svg.contains("won: [0.5, 1): 3"));
    }

    #[test]
    fn bar_chart_colours_negative_bars() {
        let chart = BarChart {
            negative: Some(("lowers odds".into(), Color::ORANGE)),
            ..BarChart::new("weights", Axis::new("log-odds"), vec!["a".into(), "b".into()])
        }
        .series(BarSeries { name: "raises odds".into(), color: Color::BLUE, values: vec![0.8, -0.4] });
        let svg = chart.to_svg(500, 200);
        assert!(svg.contains(&format!("fill=\"{}\"><title>a · raises odds: 0.8", Color::BLUE.0)));
        assert!(svg.contains(&format!("fill=\"{}\"><title>b · raises odds: -0.4", Color::ORANGE.0)));
        assert!(svg.contains(">lowers odds<") && svg.contains(">raises odds<"));
        let vertical = BarChart { orientation: Orientation::Vertical, ..chart };
        let svg = vertical.to_svg(500, 300);
        assert_eq!(svg.matches("<rect").count(), 2 + 2 + 1 + 1);
    }

    #[test]
    fn thinning_keeps_ends() {
        let pts: Vec<(f64, f64)> = (0..100).map(|i| (f64::from(i) * 0.01, 0.0)).collect();
        let s = polyline_points(&pts, true);
        assert!(s.starts_with("0.0,0.0 ") && s.ends_with(" 1.0,0.0"));
        assert!(s.split(' ').count() < 10);
    }
}
