"""Deliver the anonymized report to every destination the user named, leak-checked first."""

from __future__ import annotations

import os

from postfinger_py.anonymize import AnonResult
from postfinger_py.deliver.bundle import build_tar_gz, bundle_members, check_members
from postfinger_py.deliver.request import Delivery
from postfinger_py.env import Env
from postfinger_py.errors import ExitStatus, PostfingerError, os_error_words
from postfinger_py.model import Report
from postfinger_py.outputs import write_private, write_private_new
from postfinger_py.render import render_json, render_text


def _refuse(where: str) -> PostfingerError:
    return PostfingerError(
        f"refusing to output the report: {where}. Nothing was written or sent. Add the value's "
        "pattern with --keep only if it is public, or report this as a bug",
        ExitStatus.LEAK_REFUSED,
    )


def deliver(args: Delivery, env: Env, result: AnonResult) -> None:
    report = result.report
    text = render_text(report)
    json_text = render_json(report)
    main_text = json_text if args.format == "json" else text
    # Fail closed: every output is checked before anything at all is written or sent.
    leak = result.find_leak(text) or result.find_leak(json_text)
    if leak:
        raise _refuse(leak)
    bundle: bytes | None = None
    if args.bundle or args.mail_to:
        members = bundle_members(report, text, json_text)
        leak = check_members(members, result.find_leak)
        if leak:
            raise _refuse(leak)
        bundle = build_tar_gz(members, report.generated_at)
    for warning in result.warnings:
        env.stderr.write(f"postfinger: {warning}\n")
    written: list[str] = []
    if args.output:
        write_private(args.output, main_text.encode())
        written.append(args.output)
    if args.bundle and bundle is not None:
        write_private(args.bundle, bundle)
        written.append(args.bundle)
    if not (args.output or args.bundle or args.mail_to):
        write_stdout(env, main_text)
    for path in written:
        env.stderr.write(f"postfinger: wrote {path} (mode 0600)\n")
    if args.mail_to:
        _mail(args, env, report, text, bundle, written)


def _mail(
    args: Delivery, env: Env, report: Report, text: str, bundle: bytes | None, written: list[str]
) -> None:
    from postfinger_py.deliver.mail import build_message, send

    assert args.mail_to  # deliver() mails only when it is set
    runner = env.system_runner()
    sendmail = args.sendmail
    if not sendmail:  # the sendmail of the Postfix the report is about (-c DIR)
        argv = ["postconf", *(["-c", args.config_dir] if args.config_dir else []), "-h", "sendmail_path"]
        path_res = runner.run(argv)
        sendmail = path_res.stdout.strip() if path_res.ok and path_res.stdout.strip() else "sendmail"
    message, message_id = build_message(report, args.mail_to, text, bundle)
    res = send(runner, sendmail, args.mail_to, message)
    if res.ok:
        env.stderr.write(
            f"postfinger: report mailed to {args.mail_to} via {sendmail} (Message-ID {message_id})\n"
        )
        return
    kept = written[0] if written else _keep_copy(report, text)
    raise PostfingerError(
        f"mailing the report failed: {res.describe_failure()}. The report is kept in {kept}; "
        "attach it yourself, or fix local mail delivery and run again",
        ExitStatus.DELIVERY_FAILED,
    )


def write_stdout(env: Env, text: str) -> None:
    """Print `text`; a full disk or a failing device is a one-line error, not a traceback."""
    try:
        env.stdout.write(text)
        env.stdout.flush()
    except BrokenPipeError:
        raise  # the reader went away (`| head`): not an error to explain
    except OSError as exc:
        raise PostfingerError(
            f"could not write the report to standard output: "
            f"{os_error_words(exc)}; write it to a file with -o FILE"
        ) from None


def _keep_copy(report: Report, text: str) -> str:
    """A new file each failure (an earlier kept copy is never replaced), mode 0600; its path."""
    stem = f"postfinger-report-{report.generated_at.strftime('%Y%m%d-%H%M%S')}"
    reasons: list[str] = []
    for directory in (os.curdir, os.environ.get("TMPDIR", "/tmp")):
        try:
            return write_private_new(directory, stem, ".txt", text.encode())
        except PostfingerError as exc:
            reasons.append(exc.message)
        except OSError as exc:  # the current directory was removed meanwhile
            reasons.append(f"cannot write in {directory}: {os_error_words(exc)}")
    raise PostfingerError(
        "mailing the report failed, and no copy could be kept ("
        f"{'; '.join(reasons)}); run again with --output FILE",
        ExitStatus.DELIVERY_FAILED,
    )
