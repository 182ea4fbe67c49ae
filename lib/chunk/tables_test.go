package chunk

import "testing"

const sampleTable = "Scores:\n| Name | Points | City |\n|:--|--:|:-:|\n| Alice | 7 | Paris |\n| Bob | 12 | |\nThat's all."

func TestConvertTables(t *testing.T) {
	tests := []struct {
		name string
		in   string
		mode TableMode
		want string
	}{
		{"off leaves tables", sampleTable, TablesOff, sampleTable},
		{"code", sampleTable, TablesCode,
			"Scores:\n```\n" +
				"| Name  | Points | City  |\n" +
				"| ----- | ------ | ----- |\n" +
				"| Alice |      7 | Paris |\n" +
				"| Bob   |     12 |       |\n" +
				"```\nThat's all."},
		{"bullets", sampleTable, TablesBullets,
			"Scores:\n\nAlice\n• Points: 7\n• City: Paris\n\nBob\n• Points: 12\n\nThat's all."},
		{"one-column bullets", "| Item |\n| --- |\n| tea |\n| milk |", TablesBullets, "• tea\n• milk"},
		{"no outer pipes", "a | b\n--- | ---\n1 | 2", TablesCode,
			"```\n| a   | b   |\n| --- | --- |\n| 1   | 2   |\n```"},
		{"escaped pipe and code span", "| k | v |\n|---|---|\n| a\\|b | `x|y` |", TablesBullets,
			"a|b\n• v: `x|y`"},
		{"missing cells are empty, extra cells dropped", "| a | b |\n|---|---|\n| 1 |\n| 1 | 2 | 3 |", TablesCode,
			"```\n| a   | b   |\n| --- | --- |\n| 1   |     |\n| 1   | 2   |\n```"},
		{"wide characters count as clusters", "| é | 👍🏽 |\n|---|---|\n| e\u0301e\u0301e\u0301e\u0301 | x |", TablesCode,
			"```\n| é    | 👍🏽   |\n| ---- | --- |\n| e\u0301e\u0301e\u0301e\u0301 | x   |\n```"},
		{"a row after a blank line is not part of the table", "| a |\n|---|\n| 1 |\n\n| 2 |", TablesBullets,
			"• 1\n\n| 2 |"},
		{"no delimiter row, no table", "| a | b |\n| c | d |", TablesCode, "| a | b |\n| c | d |"},
		{"column count mismatch, no table", "| a | b |\n|---|\n| c | d |", TablesCode, "| a | b |\n|---|\n| c | d |"},
		{"a setext underline is not a delimiter", "Title | x\n---", TablesCode, "Title | x\n---"},
		{"tables inside code blocks are left alone", "```\n| a |\n|---|\n| 1 |\n```", TablesCode,
			"```\n| a |\n|---|\n| 1 |\n```"},
		{"header-only table", "| a | b |\n|---|---|", TablesBullets, "a, b"},
	}
	for _, tt := range tests {
		if got := ConvertTables(tt.in, tt.mode); got != tt.want {
			t.Errorf("%s: ConvertTables(%q, %s) =\n%q\nwant\n%q", tt.name, tt.in, tt.mode, got, tt.want)
		}
	}
}

func TestParseTables(t *testing.T) {
	for in, want := range map[string]TableMode{"off": TablesOff, "bullets": TablesBullets, "code": TablesCode, "block": TablesCode} {
		if got, err := ParseTables(in); err != nil || got != want {
			t.Errorf("ParseTables(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseTables("html"); err == nil {
		t.Error("ParseTables(html) succeeded; want an error")
	}
	if _, err := ParseMode("words"); err == nil {
		t.Error("ParseMode(words) succeeded; want an error")
	}
}
