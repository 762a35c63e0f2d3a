"""The `nianbao` command. A thin click layer: each sub-command lives in nianbao/commands/<name>.py and is imported
only when it runs, so `nianbao --help` starts without pandas, openpyxl or python-docx."""
from __future__ import annotations

import importlib
import sys

import click

from . import __version__

COMMANDS = {
    "template": ("nianbao.commands.template", "生成带锁定、校验公式和身份标识的填报模板"),
    "check": ("nianbao.commands.check", "校验返回的填报表（可批量），输出问题清单和批注副本"),
    "report": ("nianbao.commands.report", "把填报表和正文合成年度报告（Word、HTML、Markdown）"),
    "collect": ("nianbao.commands.collect", "收集一个文件夹里的返回表：登记、退回、汇总"),
    "import": ("nianbao.commands.import_report", "把已发布的年度报告读回为数据并校验"),
    "desk": ("nianbao.commands.desk", "收集台工作区：按名单建立年度收集并写出带填报链接的分发清单，生成接口令牌"),
    "serve": ("nianbao.commands.serve", "启动收集台网页：办公室登记与汇总，各部门通过链接上传"),
}


HELP_TEXT = "显示本帮助并退出"


class ChineseHelpFormatter(click.HelpFormatter):
    """click's help page headings in Chinese."""

    SECTIONS = {"Options": "选项", "Commands": "命令", "Arguments": "参数"}

    def write_usage(self, prog, args="", prefix=None):
        super().write_usage(prog, args, "用法：" if prefix is None else prefix)

    def section(self, name):
        return super().section(self.SECTIONS.get(name, name))


class NianbaoContext(click.Context):
    formatter_class = ChineseHelpFormatter


class LazyGroup(click.Group):
    context_class = NianbaoContext

    def list_commands(self, ctx):
        return list(COMMANDS)

    def get_command(self, ctx, name):
        if name not in COMMANDS:
            return None
        command = importlib.import_module(COMMANDS[name][0]).command
        if command.context_class is not NianbaoContext:  # once: Chinese headings and help option
            command.context_class = NianbaoContext
            click.help_option("-h", "--help", help=HELP_TEXT)(command)
        return command

    def format_commands(self, ctx, formatter):
        # help text without importing every command module
        with formatter.section("命令"):
            formatter.write_dl([(name, help_) for name, (_, help_) in COMMANDS.items()])

    def invoke(self, ctx):
        from .errors import NianbaoError

        try:
            return super().invoke(ctx)
        except NianbaoError as e:
            click.secho(f"错误：{e.message}", fg="red", err=True)
            sys.exit(e.exit_code)
        except click.UsageError as e:
            command = e.ctx.command_path if e.ctx else "nianbao"
            click.secho(f"用法错误：{chinese_usage_error(e)}\n运行“{command} --help”查看用法。", fg="red", err=True)
            sys.exit(2)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException, SystemExit):
            raise
        except BrokenPipeError:  # the reader of our output went away (`nianbao check … | head`): stop quietly
            import os

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(1)
        except KeyboardInterrupt:
            click.secho("已中断。", err=True)
            sys.exit(130)
        except Exception as e:  # never a traceback for a user: say what happened, in Chinese
            click.secho(f"内部错误：{type(e).__name__}: {e}\n请把这条信息和所用文件发给维护人员。", fg="red", err=True)
            sys.exit(3)


# click's own messages for a misused command, in Chinese (the rest of its text is the commands' own help)
_USAGE = [
    (r"Missing argument '([^']+)'\.?", "缺少参数 {0}"),
    (r"Missing option '([^']+)'\.?", "缺少选项 {0}"),
    (r"No such option:? '?([^'\s]+)'?\.?(?: Did you mean (.+)\?)?", "没有选项 {0}"),
    (r"No such command '([^']+)'\.?", "没有命令“{0}”（可用：" + "、".join(COMMANDS) + "）"),
    (r"Invalid value for '([^']+)': (.+)", "{0} 的值无效：{1}"),
    (r"'(.+)' is not a valid integer\.?", "“{0}”不是整数"),
    (r"'(.+)' is not a valid float\.?", "“{0}”不是数字"),
    (r"'(.+)' is not one of (.+)\.", "“{0}”不是可选的值（{1}）"),
    (r"(?:File|Directory|Path) '(.+)' does not exist\.?", "“{0}”不存在"),
    (r"File '(.+)' is a directory\.?", "“{0}”是文件夹，这里需要文件"),
    (r"Directory '(.+)' is a file\.?", "“{0}”是文件，这里需要文件夹"),
    (r"Option '([^']+)' requires an argument\.?", "选项 {0} 后面需要一个值"),
    (r"Got unexpected extra arguments? \((.+)\)", "多余的参数：{0}"),
]


def chinese_usage_error(e: click.UsageError) -> str:
    import re

    def translate(text: str) -> str:
        for pattern, template in _USAGE:
            m = re.fullmatch(pattern, text.strip(), re.S)
            if m:
                return template.format(*(translate(g) if g else "" for g in m.groups()))
        return text

    return translate(e.format_message())


CONTEXT = dict(help_option_names=["-h", "--help"], max_content_width=110)


@click.group(cls=LazyGroup, context_settings=CONTEXT,
             help="nianbao（年报）：政府信息公开工作年度报告的模板、校验、报告、汇总与导入工具。")
@click.version_option(__version__, "-V", "--version", message="nianbao %(version)s", help="显示版本并退出")
@click.help_option("-h", "--help", help=HELP_TEXT)
def main():
    pass


if __name__ == "__main__":  # pragma: no cover
    main()
