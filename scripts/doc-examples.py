#!/usr/bin/env python3
"""Runs the documentation's examples against a running stack and checks what they print.

An example is a fenced block opened with ```sh example (indented blocks too) in README.md or
docs/*.md. In it:
  - a line that is not a comment is a command (a trailing backslash continues it); all commands
    of the document run in one bash session, in order, so variables carry over;
  - `# ` lines after a command are what it must print, in order (other lines may come between);
    `…` stands for anything, and runs of spaces count as one;
  - `#~ ` lines likewise, but the system gets time to catch up: the command is run again until
    they match (30 s at most), so use them only after commands that can be repeated;
  - `#: ` lines are notes for the reader and are not checked.
Addresses are mapped to the stack under test: localhost:9092 → $DOC_BROKER, localhost:808N →
localhost:$DOC_PORT_BASE+N, var/run/ → $DOC_RUN_DIR/.

    scripts/doc-examples.py FILE...   (exits 0 when every example holds, 1 otherwise)
"""
import os
import re
import subprocess
import sys
import time
import uuid

BLOCK = re.compile(r"^( *)```sh example[ \t]*$(.*?)^\1```[ \t]*$", re.M | re.S)


def parse(text):
    """[(command, [(mode, expected line)])] of every example block, in order."""
    steps = []
    for indent, block in BLOCK.findall(text):
        lines = [line[len(indent):] if line.startswith(indent) else line for line in block.strip("\n").split("\n")]
        i = 0
        while i < len(lines):
            line = lines[i]
            i += 1
            if not line.strip() or line.startswith("#"):
                continue
            command = line
            while command.endswith("\\") and i < len(lines):
                command = command + "\n" + lines[i]
                i += 1
            expected = []
            while i < len(lines) and lines[i].startswith("#"):
                marker, _, rest = lines[i].partition(" ")
                if marker in ("#", "#~"):
                    expected.append((marker, rest))
                i += 1
            steps.append((command, expected))
    return steps


def localise(text):
    base = int(os.environ["DOC_PORT_BASE"])
    text = text.replace("localhost:9092", os.environ["DOC_BROKER"])
    text = re.sub(r"localhost:808([1-4])", lambda m: f"localhost:{base + int(m.group(1))}", text)
    return text.replace("var/run/", os.environ["DOC_RUN_DIR"].rstrip("/") + "/")


def pattern(expected):
    squeezed = re.sub(r" +", " ", expected.strip())
    return re.compile(".*?".join(re.escape(part) for part in squeezed.split("…")) + r"\Z", re.S)


def matches(expected, output):
    """Whether the expected lines appear, in order, among the output's lines."""
    lines = [re.sub(r" +", " ", line.strip()) for line in output.split("\n")]
    position = 0
    for _, line in expected:
        wanted = pattern(line)
        while position < len(lines) and not wanted.match(lines[position]):
            position += 1
        if position == len(lines):
            return False
        position += 1
    return True


class Session:
    """One bash process; each command's output is read up to a marker."""

    def __init__(self):
        self.bash = subprocess.Popen(
            ["bash", "--norc", "--noprofile"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, bufsize=1, start_new_session=True)

    def run(self, command, timeout=60):
        marker = "__doc_example_" + uuid.uuid4().hex
        self.bash.stdin.write(f"{command}\necho; echo {marker} $?\n")
        self.bash.stdin.flush()
        output, deadline = [], time.time() + timeout
        while time.time() < deadline:
            line = self.bash.stdout.readline()
            if not line:
                break
            if line.startswith(marker):
                return "".join(output), int(line.split()[1])
            output.append(line)
        return "".join(output) + f"\n(no end within {timeout} s)", None

    def close(self):
        try:
            os.killpg(self.bash.pid, 15)
        except ProcessLookupError:
            pass


def main(paths):
    failures, checked = 0, 0
    for path in paths:
        steps = parse(open(path, encoding="utf-8").read())
        if not steps:
            continue
        session = Session()
        try:
            for command, expected in steps:
                local = localise(command)
                eventually = any(mode == "#~" for mode, _ in expected)
                deadline = time.time() + (30 if eventually else 0)
                while True:
                    output, status = session.run(local)
                    ok = status == 0 and matches([(m, localise(e)) for m, e in expected], output)
                    if ok or time.time() >= deadline:
                        break
                    time.sleep(0.5)
                checked += 1
                if ok:
                    print(f"ok   {path}: {command.splitlines()[0][:100]}")
                else:
                    failures += 1
                    print(f"FAIL {path}: {command}\n  exit status: {status}\n  expected (in order):")
                    for mode, line in expected:
                        print(f"    {mode} {line}")
                    print("  printed:\n" + "\n".join("    " + line for line in output.rstrip().split("\n")))
        finally:
            session.close()
    print(f"documentation examples: {checked} commands checked, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
