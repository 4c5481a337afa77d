//! Column alignment as Go's `text/tabwriter` does it, which kubectl uses for every table
//! (`get`: minimum width 6, padding 3) and for `describe` (minimum width 0, padding 2).
//!
//! Input is text whose cells end with `\t`; the last cell of a line has no tab and is not
//! padded. A column is aligned over a block of consecutive lines that all have a cell in it,
//! so a line without tabs (a section heading in `describe`) ends the block, as in Go.

/// `kubectl get`'s tabwriter settings (`printers.GetNewTabWriter`): minimum cell width.
pub const GET_MIN_WIDTH: usize = 6;
/// Padding of `kubectl get`'s columns.
pub const GET_PADDING: usize = 3;
/// `kubectl describe`'s tabwriter settings (`tabwriter.NewWriter(out, 0, 8, 2, ' ', 0)`):
/// minimum cell width.
pub const DESCRIBE_MIN_WIDTH: usize = 0;
/// Padding of `kubectl describe`'s columns.
pub const DESCRIBE_PADDING: usize = 2;

struct Writer<'a> {
    lines: Vec<Vec<&'a str>>,
    min_width: usize,
    padding: usize,
    widths: Vec<usize>,
    out: String,
}

fn width(s: &str) -> usize {
    s.chars().count()
}

impl Writer<'_> {
    fn write_lines(&mut self, from: usize, to: usize) {
        for line in &self.lines[from..to] {
            let last = line.len().saturating_sub(1);
            for (j, cell) in line.iter().enumerate() {
                self.out.push_str(cell);
                if j < last
                    && let Some(&w) = self.widths.get(j)
                {
                    for _ in width(cell)..w {
                        self.out.push(' ');
                    }
                }
            }
            self.out.push('\n');
        }
    }

    fn format(&mut self, mut line0: usize, line1: usize) {
        let column = self.widths.len();
        let mut this = line0;
        while this < line1 {
            // Terminated cells in this line: all but the last.
            if column >= self.lines[this].len().saturating_sub(1) {
                this += 1;
                continue;
            }
            self.write_lines(line0, this);
            line0 = this;
            let mut w = self.min_width;
            while this < line1 {
                let line = &self.lines[this];
                if column >= line.len().saturating_sub(1) {
                    break;
                }
                w = w.max(width(line[column]) + self.padding);
                this += 1;
            }
            self.widths.push(w);
            self.format(line0, this);
            self.widths.pop();
            line0 = this;
        }
        self.write_lines(line0, line1);
    }
}

/// Aligns `text` (lines of `\t`-terminated cells) like Go's tabwriter with the given minimum
/// cell width and padding, padding with spaces. Every line of the result ends with `\n`.
pub fn align(text: &str, min_width: usize, padding: usize) -> String {
    let body = text.strip_suffix('\n').unwrap_or(text);
    if body.is_empty() {
        return String::new();
    }
    let lines: Vec<Vec<&str>> = body.split('\n').map(|l| l.split('\t').collect()).collect();
    let n = lines.len();
    let mut w = Writer {
        lines,
        min_width,
        padding,
        widths: Vec::new(),
        out: String::new(),
    };
    w.format(0, n);
    w.out
}

/// Aligns rows of cells as `kubectl get` prints them.
pub fn table(rows: &[Vec<String>]) -> String {
    let text: String = rows.iter().map(|r| r.join("\t") + "\n").collect();
    align(&text, GET_MIN_WIDTH, GET_PADDING)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_style() {
        let rows = vec![
            vec!["NAME".to_string(), "READY".into(), "STATUS".into()],
            vec!["web-1".into(), "1/1".into(), "Running".into()],
            vec!["a-much-longer-name".into(), "0/1".into(), "Pending".into()],
        ];
        assert_eq!(
            table(&rows),
            "NAME                 READY   STATUS\nweb-1                1/1     Running\na-much-longer-name   0/1     Pending\n"
        );
    }

    #[test]
    fn min_width() {
        assert_eq!(table(&[vec!["A".into(), "B".into()]]), "A     B\n");
    }

    #[test]
    fn describe_blocks() {
        let text = "Name:\tweb\nNamespace:\tdefault\nContainers:\n  app:\n    Image:\tnginx\n    Ready:\tTrue\n";
        assert_eq!(
            align(text, DESCRIBE_MIN_WIDTH, DESCRIBE_PADDING),
            "Name:       web\nNamespace:  default\nContainers:\n  app:\n    Image:  nginx\n    Ready:  True\n"
        );
    }

    #[test]
    fn nested_columns() {
        // The first column is aligned over all three lines, the second only over the first two.
        let text = "a\tbb\tc\naaa\tb\tc\na\tx\n";
        assert_eq!(align(text, 0, 1), "a   bb c\naaa b  c\na   x\n");
    }

    #[test]
    fn empty() {
        assert_eq!(align("", 0, 2), "");
    }
}
