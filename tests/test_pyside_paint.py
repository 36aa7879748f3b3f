"""Regression guard: PySide6 6.12.0 on Python 3.11 aborts after a few thousand Python ``paint()`` calls.

pyproject pins ``<6.12`` for Python < 3.12. This paints 5,000 custom items in a child process, so an
upgrade that brings the crash back fails this test instead of killing the test run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    from PySide6.QtCore import QRectF
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtWidgets import QApplication, QGraphicsItem, QGraphicsScene

    class Box(QGraphicsItem):
        calls = 0
        def boundingRect(self):
            return QRectF(0, 0, 10, 10)
        def paint(self, painter, option, widget=None):
            Box.calls += 1
            painter.drawRect(self.boundingRect())

    app = QApplication([])
    scene = QGraphicsScene()
    for i in range(5000):
        item = Box()
        item.setPos((i % 100) * 12, (i // 100) * 12)
        scene.addItem(item)
    image = QImage(1200, 600, QImage.Format.Format_ARGB32)
    for _ in range(3):
        painter = QPainter(image)
        scene.render(painter)
        painter.end()
    print("painted", Box.calls)
    """
)


def test_thousands_of_python_paint_calls_do_not_abort() -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    painted = int(result.stdout.split()[-1])
    assert painted >= 5000 * 3
