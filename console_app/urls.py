"""The console's addresses (part of the contract): /ui/ (overview), /ui/tasks/, /ui/tasks/{id}/,
/ui/runs/, /ui/runs/{id}/, /ui/workers/, /ui/deadletters/; sign-in at /ui/login/ (or the
admin's login: one session)."""

from django.urls import path, re_path

from console_app.views import auth, deadletters, overview, runs, tasks, workers
from instances_app.api.serializers import INSTANCE_ID, STREAM_ENTRY_ID

app_name = "console"

urlpatterns = [
    path("", overview.overview, name="overview"),
    path("login/", auth.login, name="login"),
    path("logout/", auth.logout, name="logout"),
    path("tasks/", tasks.task_list, name="tasks"),
    path("tasks/new/", tasks.task_new, name="task-new"),
    path("tasks/schedule-preview/", tasks.schedule_preview, name="schedule-preview"),
    path("tasks/<int:task_id>/", tasks.task_detail, name="task"),
    path("tasks/<int:task_id>/edit/", tasks.task_edit, name="task-edit"),
    path("tasks/<int:task_id>/trigger/", tasks.task_trigger, name="task-trigger"),
    path("tasks/<int:task_id>/pause/", tasks.task_pause, name="task-pause"),
    path("tasks/<int:task_id>/resume/", tasks.task_resume, name="task-resume"),
    path("runs/", runs.run_list, name="runs"),
    path("runs/<int:run_id>/", runs.run_detail, name="run"),
    path("runs/<int:run_id>/cancel/", runs.run_cancel, name="run-cancel"),
    path("runs/<int:run_id>/replay/", runs.run_replay, name="run-replay"),
    path("workers/", workers.worker_list, name="workers"),
    re_path(r"^workers/(?P<worker_id>[^/]+)/$", workers.worker_detail, name="worker"),
    re_path(r"^workers/(?P<worker_id>[^/]+)/drain/$", workers.worker_drain, name="worker-drain"),
    re_path(r"^workers/(?P<worker_id>[^/]+)/resume/$", workers.worker_resume, name="worker-resume"),
    path("deadletters/", deadletters.deadletter_list, name="deadletters"),
    path("deadletters/purge/", deadletters.purge, name="deadletters-purge"),
    path("deadletters/run-<int:run_id>/replay/", deadletters.replay_run, name="deadletter-run-replay"),
    re_path(rf"^deadletters/(?P<letter_id>inbox-{INSTANCE_ID}-{STREAM_ENTRY_ID})/replay/$", deadletters.replay_inbox,
            name="deadletter-inbox-replay"),
]
